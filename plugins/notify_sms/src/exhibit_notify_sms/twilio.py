"""Twilio text messages through its Messages API, and the check of its request signature.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded, with HTTP basic
authentication (account SID and auth token). ``From`` is the force's alphanumeric sender
id; ``StatusCallback`` is our receipt route for the force, which Twilio calls signed with
``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed with the auth token, over the full URL
followed by each POST parameter's name and value, sorted by name.
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from exhibit.notifications.provider_http import failure_for_status, no_answer
from exhibit.plugins import DeliveryFailed, OutboundMessage, Outcome, ProviderContext, SendResult
from exhibit_notify_sms.config import Config, TwilioSettings
from exhibit_notify_sms.numbers import e164

if TYPE_CHECKING:
    import httpx

CALLBACK_PATH = "/plugins/notify_sms/callbacks/{force_slug}/twilio"


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio sends for a POST of ``params`` to ``url``."""
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioSms:
    """Text messages through Twilio."""

    channel: ClassVar[str] = "sms"
    key: ClassVar[str] = "twilio"

    def __init__(self, context: ProviderContext) -> None:
        config: Config = context.config
        assert config.twilio is not None
        self.settings: TwilioSettings = config.twilio
        self.sender_id = config.sender_id
        self.timeout = config.timeout_seconds
        self.public_url = context.settings.public_url.rstrip("/")

    async def send(self, message: OutboundMessage) -> SendResult:
        """Create the message at Twilio; 4xx permanent (but 429), 5xx and no answer retried."""
        form = {
            "To": e164(message.recipient),
            "From": self.sender_id,
            "Body": message.body,
            "StatusCallback": self.public_url + CALLBACK_PATH.format(force_slug=message.force_slug),
        }
        path = f"/2010-04-01/Accounts/{self.settings.account_sid}/Messages.json"
        auth = (self.settings.account_sid, self.settings.auth_token.reveal())
        import httpx  # loaded on first use: most processes never send a text

        try:
            async with httpx.AsyncClient(
                base_url=self.settings.base_url, timeout=self.timeout
            ) as client:
                response = await client.post(path, data=form, auth=auth)
        except httpx.HTTPError as exc:
            raise no_answer("Twilio", exc) from None
        if response.status_code >= 300:
            raise failure_for_status(response.status_code, twilio_reason(response))
        sid = response.json().get("sid")
        if not isinstance(sid, str):
            raise DeliveryFailed("Twilio's answer has no message sid", permanent=False)
        return SendResult(Outcome.SENT, reference=sid)


def twilio_reason(response: "httpx.Response") -> str:
    """Twilio's error code and message from its answer (its reason phrase if not JSON)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    return f"{body.get('code', '')} {body.get('message', response.reason_phrase)}".strip()
