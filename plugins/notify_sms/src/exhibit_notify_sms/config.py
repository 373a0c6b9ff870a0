"""A force's settings for text messages: which provider, its credentials, the sender id."""

from typing import Annotated, Literal

import msgspec

from exhibit.notifications.aws import SnsReceiptSettings
from exhibit.notifications.govuk_notify import check_api_key
from exhibit.notifications.provider_choice import check_provider_choice
from exhibit.plugins import Secret

ProviderKey = Literal["govuk_notify", "twilio", "sns"]
SenderId = Annotated[str, msgspec.Meta(pattern=r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{3,11}$")]
"""An alphanumeric sender id, as networks allow it: 3-11 letters, digits or spaces."""


class NotifySettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """GOV.UK Notify: an API key, a text message template with a ``((body))`` field.

    ``api_key`` is the whole key as Notify shows it (``name-serviceid-secret``); a key in
    another form is refused when the settings are saved.
    """

    api_key: Secret
    template_id: str
    base_url: str = "https://api.notifications.service.gov.uk"
    sms_sender_id: str | None = None
    """The id of the force's text message sender in Notify (its "Text message senders");
    Notify's default sender when left out. ``sender_id`` is not used by Notify."""
    callback_token: Secret | None = None
    """The bearer token given to Notify for delivery receipts (its callback settings)."""

    def __post_init__(self) -> None:
        check_api_key(self.api_key)


class TwilioSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Twilio's Messages API: the account's SID and auth token."""

    account_sid: Annotated[str, msgspec.Meta(pattern=r"^AC[0-9a-fA-F]{32}$")]
    auth_token: Secret
    base_url: str = "https://api.twilio.com"


class SnsSettings(SnsReceiptSettings, forbid_unknown_fields=True, kw_only=True):
    """Amazon SNS: region and credentials (or the machine's own role when left out).

    Delivery status reaches us as SNS messages posted to the callback route; only
    certificates from ``certificate_hosts`` are trusted to sign them, and only messages of
    ``topic_arn`` are accepted.
    """


class Config(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Text messages to witnesses, through GOV.UK Notify, Twilio or Amazon SNS. Saving
    checks the form of the settings (a Notify key given by value included), not that the
    provider accepts them: after changing them, press "Check the saved settings" (or run
    ``exhibit force check SLUG notify_sms``), which tries the provider and the fallback
    without sending anything (Notify has the key and template, Twilio the
    account, SNS the credentials)."""

    provider: Annotated[
        ProviderKey,
        msgspec.Meta(
            title="Provider",
            description="Who sends the texts; fill in that provider's settings below.",
        ),
    ]
    sender_id: Annotated[
        SenderId,
        msgspec.Meta(
            title="Sender name",
            description="Shown as the sender: 3 to 11 letters, digits or spaces, with a letter.",
        ),
    ]
    fallback: Annotated[
        ProviderKey | None,
        msgspec.Meta(
            title="Fallback provider",
            description="Another provider, with its settings below, for when the first fails.",
        ),
    ] = None
    max_segments: Annotated[
        int, msgspec.Meta(ge=1, le=10, title="Longest message (text message segments)")
    ] = 3
    timeout_seconds: Annotated[
        float, msgspec.Meta(gt=0, le=120, title="Provider time limit (seconds)")
    ] = 10.0
    govuk_notify: Annotated[NotifySettings | None, msgspec.Meta(title="GOV.UK Notify")] = None
    twilio: Annotated[TwilioSettings | None, msgspec.Meta(title="Twilio")] = None
    sns: Annotated[SnsSettings | None, msgspec.Meta(title="Amazon SNS")] = None

    def __post_init__(self) -> None:
        check_provider_choice(self, self.provider, self.fallback)
