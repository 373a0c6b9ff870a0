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
    """The ``notify_email`` settings of one force."""

    provider: ProviderKey
    from_address: Address
    from_name: str = ""
    """Shown as the sender; the force's name when empty."""
    reply_to: Address | None = None
    language: Literal["en", "cy"] = "en"
    """The language of the message's frame (heading, footer); the text is the force's."""
    fallback: ProviderKey | None = None
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=120)] = 20.0
    smtp: SmtpSettings | None = None
    ses: SesSettings | None = None
    govuk_notify: NotifySettings | None = None

    def __post_init__(self) -> None:
        check_provider_choice(self, self.provider, self.fallback)
