"""A force's settings for email: which provider, its credentials, From and Reply-To."""

from typing import Annotated, Literal

import msgspec

from exhibit.notifications.aws import SnsReceiptSettings
from exhibit.notifications.govuk_notify import check_api_key
from exhibit.notifications.provider_choice import check_provider_choice
from exhibit.plugins import Secret

ProviderKey = Literal["smtp", "ses", "govuk_notify"]
Address = Annotated[str, msgspec.Meta(pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")]


class SmtpSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An SMTP relay. ``security`` is ``starttls`` (port 587), ``tls`` (465) or ``none``."""

    host: str
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    ca_file: str | None = None
    """A PEM bundle to trust instead of the system's (a force's own relay)."""


class SesSettings(SnsReceiptSettings, forbid_unknown_fields=True, kw_only=True):
    """Amazon SES (v2 API). Delivery events arrive through SNS on the callback route."""

    configuration_set: str | None = None


class NotifySettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """GOV.UK Notify: an email template whose subject is ``((subject))``, body ``((body))``.

    ``api_key`` is the whole key as Notify shows it (``name-serviceid-secret``); a key in
    another form is refused when the settings are saved.
    """

    api_key: Secret
    template_id: str
    base_url: str = "https://api.notifications.service.gov.uk"
    reply_to_id: str | None = None
    callback_token: Secret | None = None

    def __post_init__(self) -> None:
        check_api_key(self.api_key)


class Config(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Emails to witnesses, through an SMTP relay, Amazon SES or GOV.UK Notify. Saving
    checks the form of the settings (a Notify key given by value included), not that the
    provider accepts them: after changing them, press "Check the saved settings" (or run
    ``exhibit force check SLUG notify_email``), which tries the provider and the fallback
    without sending anything (the relay takes the login, SES knows the From
    address, Notify has the key and template)."""

    provider: Annotated[
        ProviderKey,
        msgspec.Meta(
            title="Provider",
            description="Who sends the emails; fill in that provider's settings below.",
        ),
    ]
    from_address: Annotated[
        Address, msgspec.Meta(title="From address", description="Like evidence@force.police.uk.")
    ]
    from_name: Annotated[
        str, msgspec.Meta(title="From name", description="The force's name when empty.")
    ] = ""
    """Shown as the sender; the force's name when empty."""
    reply_to: Annotated[
        Address | None,
        msgspec.Meta(title="Reply-To address", description="Where replies go, if not From."),
    ] = None
    fallback: Annotated[
        ProviderKey | None,
        msgspec.Meta(
            title="Fallback provider",
            description="Another provider, with its settings below, for when the first fails.",
        ),
    ] = None
    timeout_seconds: Annotated[
        float, msgspec.Meta(gt=0, le=120, title="Provider time limit (seconds)")
    ] = 20.0
    smtp: Annotated[
        SmtpSettings | None,
        msgspec.Meta(
            title="SMTP relay",
            description='security is "starttls" (port 587), "tls" (465) or "none".',
        ),
    ] = None
    ses: Annotated[SesSettings | None, msgspec.Meta(title="Amazon SES")] = None
    govuk_notify: Annotated[
        NotifySettings | None,
        msgspec.Meta(
            title="GOV.UK Notify",
            description="The email template's subject is ((subject)) and its body ((body)).",
        ),
    ] = None

    def __post_init__(self) -> None:
        check_provider_choice(self, self.provider, self.fallback)
