"""The settings check: will the force's email provider (and fallback) take its messages?

Nothing is sent. SMTP: connect, TLS as configured, EHLO, log in, QUIT (no MAIL FROM). SES:
read the From address's identity (or its domain's), which proves the credentials and the
region and says whether SES may send from it, and the configuration set if one is named.
GOV.UK Notify: fetch the template, which proves the API key and the template id and shows
whether it has ``((subject))`` and ``((body))``. Exhibit runs it as the plugin's
``exhibit_check_settings`` (the admin page's Check button, ``exhibit force check``).
"""

import asyncio
import ssl
from typing import Any

from exhibit.notifications.aws import aws_client, aws_problem
from exhibit.notifications.govuk_notify import fetch_template, template_problems
from exhibit.notifications.provider_choice import check_chosen_providers
from exhibit_notify_email.config import Config, NotifySettings, SesSettings, SmtpSettings


async def check_settings(config: Config) -> list[str]:
    """What stops the force's provider, or its fallback, from sending (empty: nothing)."""
    return await check_chosen_providers(
        config, lambda key, time_limit: _check_provider(config, key, time_limit)
    )


async def _check_provider(config: Config, key: str, time_limit: float) -> list[str]:
    if key == "smtp":
        assert config.smtp is not None  # the Config checks the chosen sections
        return await check_smtp(config.smtp, time_limit)
    if key == "ses":
        assert config.ses is not None
        return await asyncio.to_thread(check_ses, config.ses, config.from_address, time_limit)
    assert config.govuk_notify is not None
    return await asyncio.to_thread(check_notify, config.govuk_notify, time_limit)


async def check_smtp(settings: SmtpSettings, time_limit: float) -> list[str]:
    """Connect, secure and log in to the relay as configured, then say goodbye."""
    import aiosmtplib  # lazy, as in smtp.py

    where = f"{settings.host}:{settings.port}"
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.security == "tls",
        start_tls=settings.security == "starttls",
        tls_context=_tls_context(settings) if settings.security != "none" else None,
        timeout=time_limit,
    )
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as exc:
        return [_smtp_connect_problem(settings, where, exc)]
    try:
        if settings.username:
            password = settings.password.reveal() if settings.password else ""
            await client.login(settings.username, password)
    except aiosmtplib.SMTPAuthenticationError as exc:
        return [
            f"the SMTP server at {where} refused the login for user {settings.username!r} "
            f"({exc.code}): check username and password"
        ]
    except aiosmtplib.SMTPException as exc:
        if "AUTH extension" in str(exc) and settings.security == "none":
            return [
                f"the SMTP server at {where} offers no login over a connection without TLS: "
                "set security to 'starttls' (port 587) or 'tls' (port 465)"
            ]
        if "AUTH extension" in str(exc):
            return [
                f"the SMTP server at {where} does not offer a login (AUTH): remove username "
                "and password if it relays without one, or ask its operator"
            ]
        return [f"the SMTP server at {where} failed the login: {type(exc).__name__}"]
    finally:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()
    return []


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file)


def _smtp_connect_problem(settings: SmtpSettings, where: str, exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, ssl.SSLCertVerificationError) or isinstance(
        cause, ssl.SSLCertVerificationError
    ):
        trusted = f"the certificates in {settings.ca_file}" if settings.ca_file else "this server"
        return (
            f"the SMTP server at {where} showed a certificate {trusted} does not trust: set "
            "ca_file to the relay's CA bundle, or correct host"
        )
    if isinstance(exc, ssl.SSLError) or isinstance(cause, ssl.SSLError):
        return (
            f"TLS with the SMTP server at {where} failed: check security ('tls' is for port "
            "465, 'starttls' for 587) and port"
        )
    if "STARTTLS" in str(exc):
        return (
            f"the SMTP server at {where} does not offer STARTTLS: set security to 'tls' if it "
            "speaks TLS from the start (port 465), or correct host and port"
        )
    if isinstance(exc, TimeoutError):
        return (
            f"the SMTP server at {where} did not answer in time: check host and port, and that "
            "this server may reach it"
        )
    return (
        f"no SMTP server answered at {where} ({type(exc).__name__}): check host and port, and "
        "that this server may reach it"
    )


def check_ses(settings: SesSettings, from_address: str, timeout: float) -> list[str]:
    """SES knows the From address (or its domain) as verified, in the configured region."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = aws_client("sesv2", settings, timeout)
    domain = from_address.rsplit("@", 1)[1]
    problems: list[str] = []
    try:
        identity = _ses_identity(client, from_address) or _ses_identity(client, domain)
        if identity is None:
            problems.append(
                f"SES in region {settings.region} has neither {from_address} nor {domain} as "
                "a verified identity: verify one in SES there, or correct from_address or region"
            )
        elif not _verified(identity):
            status = identity.get("VerificationStatus", "not verified")
            problems.append(
                f"SES in region {settings.region} has {identity['name']} but it is not "
                f"verified yet ({status}): finish its verification (DNS records) in SES"
            )
        if settings.configuration_set:
            problems.extend(_ses_configuration_set(client, settings))
    except (ClientError, BotoCoreError) as exc:
        problems.append(
            aws_problem("SES", settings, exc, "ses:GetEmailIdentity and ses:GetConfigurationSet")
        )
    return problems


def _ses_identity(client: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        found: dict[str, Any] = client.get_email_identity(EmailIdentity=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NotFoundException":
            return None
        raise
    return found | {"name": name}


def _verified(identity: dict[str, Any]) -> bool:
    return bool(identity.get("VerifiedForSendingStatus")) or (
        identity.get("VerificationStatus") == "SUCCESS"
    )


def _ses_configuration_set(client: Any, settings: SesSettings) -> list[str]:
    from botocore.exceptions import ClientError

    try:
        client.get_configuration_set(ConfigurationSetName=settings.configuration_set)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NotFoundException":
            raise
        return [
            f"SES in region {settings.region} has no configuration set "
            f"{settings.configuration_set!r}: create it, or correct or remove configuration_set"
        ]
    return []


def check_notify(settings: NotifySettings, timeout: float) -> list[str]:
    """Notify takes the key and has the template, an email one with the two fields."""
    found = fetch_template(settings.api_key, settings.base_url, settings.template_id, timeout)
    if isinstance(found, str):
        return [found]
    return template_problems(settings.template_id, found, "email")
