"""Email through an SMTP relay (aiosmtplib): STARTTLS or implicit TLS, with authentication.

A 5xx answer (the relay refuses the sender, the recipient or the message, or our login) is
permanent; a 4xx answer, a timeout or a dropped connection is retried.
"""

import ssl
from typing import ClassVar

from exhibit.notifications.provider_http import no_answer
from exhibit.plugins import DeliveryFailed, OutboundMessage, Outcome, ProviderContext, SendResult
from exhibit_notify_email.config import Config, SmtpSettings
from exhibit_notify_email.rendering import build_email


class SmtpEmail:
    """Email through the force's SMTP relay."""

    channel: ClassVar[str] = "email"
    key: ClassVar[str] = "smtp"

    def __init__(self, context: ProviderContext) -> None:
        self.config: Config = context.config
        assert self.config.smtp is not None
        self.settings: SmtpSettings = self.config.smtp

    async def send(self, message: OutboundMessage) -> SendResult:
        """Hand the message to the relay; its Message-ID is the reference."""
        import aiosmtplib  # lazy: loaded when a force sends, not when Exhibit starts

        email = build_email(message, self.config)
        settings = self.settings
        context = ssl.create_default_context(cafile=settings.ca_file)
        try:
            await aiosmtplib.send(
                email,
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password.reveal() if settings.password else None,
                use_tls=settings.security == "tls",
                start_tls=settings.security == "starttls",
                tls_context=context if settings.security != "none" else None,
                timeout=self.config.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            permanent = all(code >= 500 for code in codes)
            reason = f"the relay refused the recipient ({codes})"
            raise DeliveryFailed(reason, permanent=permanent) from None
        except aiosmtplib.SMTPResponseException as exc:
            reason = f"the relay answered {exc.code}: {exc.message}"[:900]
            raise DeliveryFailed(reason, permanent=exc.code >= 500) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise no_answer("the relay", exc) from None
        return SendResult(Outcome.SENT, reference=str(email["Message-ID"]).strip("<>"))
