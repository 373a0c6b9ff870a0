"""The settings check: will the force's text message provider (and fallback) take its texts?

Nothing is sent. GOV.UK Notify: fetch the template, which proves the API key and the
template id and shows whether it is a text message template with ``((body))``. Twilio:
fetch the account, which proves the SID and auth token and shows whether the account is
active and not a trial. SNS: read the account's SMS attributes, which proves the
credentials and the region (and the receipts topic, when one is named). Exhibit runs it as
the plugin's ``exhibit_check_settings`` (the admin page's Check button, ``exhibit force
check``).
"""

import asyncio
import re
import uuid
from typing import Any

from exhibit.notifications.aws import aws_client
from exhibit.notifications.govuk_notify import notify_client
from exhibit.notifications.provider_http import error_list_reason
from exhibit.plugins import DeliveryFailed
from exhibit_notify_sms.config import Config, NotifySettings, SnsSettings, TwilioSettings
from exhibit_notify_sms.twilio import twilio_reason

CHECK_TIMEOUT = 20.0
"""Seconds each provider may take here (the core gives a whole check 30)."""
_AWS_CREDENTIAL_CODES = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "ExpiredToken",
    "ExpiredTokenException",
}
_BODY_FIELD = re.compile(r"\(\(\s*body\s*\)\)", re.I)


async def check_settings(config: Config) -> list[str]:
    """What stops the force's provider, or its fallback, from sending (empty: nothing)."""
    time_limit = min(config.timeout_seconds, CHECK_TIMEOUT)
    main = await _check_provider(config, config.provider, time_limit)
    if config.fallback is None:
        return main
    fallback = await _check_provider(config, config.fallback, time_limit)
    return main + [f"fallback: {problem}" for problem in fallback]


async def _check_provider(config: Config, key: str, time_limit: float) -> list[str]:
    if key == "twilio":
        assert config.twilio is not None  # the Config checks the chosen sections
        return await check_twilio(config.twilio, time_limit)
    if key == "sns":
        assert config.sns is not None
        return await asyncio.to_thread(check_sns, config.sns, time_limit)
    assert config.govuk_notify is not None
    return await asyncio.to_thread(check_notify, config.govuk_notify, time_limit)


def check_notify(settings: NotifySettings, timeout: float) -> list[str]:
    """Notify takes the key and has the template, a text message one with ``((body))``."""
    from notifications_python_client.errors import APIError

    template_id = settings.template_id
    try:
        uuid.UUID(template_id)
    except ValueError:
        return [
            f"template_id {template_id!r} is not a Notify template id (a UUID): copy it from "
            "the template's page in Notify"
        ]
    try:
        client = notify_client(settings.api_key, settings.base_url, timeout)
        template = client.get_template(template_id)
    except DeliveryFailed as failed:
        return [failed.reason]
    except APIError as error:
        return [_notify_problem(settings.base_url, template_id, error)]
    if template.get("type") != "sms":
        return [
            f"GOV.UK Notify template {template_id} is a {template.get('type')} template, not a "
            "text message one: correct template_id"
        ]
    if not _BODY_FIELD.search(str(template.get("body") or "")):
        return [
            f"GOV.UK Notify template {template_id} lacks ((body)): the force's words would not "
            "reach the witness; edit the template in Notify"
        ]
    return []


def _notify_problem(base_url: str, template_id: str, error: Any) -> str:
    if error.response is None:
        return f"GOV.UK Notify did not answer at {base_url}: check base_url"
    status, reason = error.status_code, error_list_reason(error.message)
    if status == 403:
        return (
            f"GOV.UK Notify refused the API key (403: {reason}): check api_key (a live key of "
            "the force's service, copied whole)"
        )
    if status in (400, 404):
        return (
            f"GOV.UK Notify has no template {template_id} in the key's service ({status}: "
            f"{reason}): correct template_id"
        )
    return f"GOV.UK Notify answered {status}: {reason}"


async def check_twilio(settings: TwilioSettings, time_limit: float) -> list[str]:
    """Twilio shows the account to its SID and auth token, active and not a trial."""
    import httpx  # lazy, as in twilio.py

    sid = settings.account_sid
    auth = (sid, settings.auth_token.reveal())
    try:
        async with httpx.AsyncClient(base_url=settings.base_url, timeout=time_limit) as client:
            response = await client.get(f"/2010-04-01/Accounts/{sid}.json", auth=auth)
    except httpx.HTTPError as exc:
        return [
            f"Twilio did not answer at {settings.base_url} ({type(exc).__name__}): check "
            "base_url, and that this server may reach it"
        ]
    if response.status_code == 401:
        return [
            f"Twilio refused the account SID {sid} with the auth token (401: "
            f"{twilio_reason(response)}): check account_sid and auth_token"
        ]
    if response.status_code == 404:
        return [f"Twilio has no account {sid} for these credentials: check account_sid"]
    if response.status_code >= 300:
        return [f"Twilio answered {response.status_code}: {twilio_reason(response)}"]
    return _twilio_account_problems(sid, response.json())


def _twilio_account_problems(sid: str, account: dict[str, Any]) -> list[str]:
    status, kind = account.get("status"), account.get("type")
    if status != "active":
        return [
            f"the Twilio account {sid} is {status}, not active: it sends nothing until it is "
            "reactivated in Twilio's console"
        ]
    if kind == "Trial":
        return [
            f"the Twilio account {sid} is a trial account: it texts only numbers verified in "
            "Twilio, so witnesses would get nothing; upgrade it"
        ]
    return []


def check_sns(settings: SnsSettings, timeout: float) -> list[str]:
    """SNS answers the account's SMS attributes, and knows the receipts topic if one is named."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = aws_client("sns", settings, timeout)
    try:
        client.get_sms_attributes()
        if settings.topic_arn:
            return _topic_problems(client, settings)
    except (ClientError, BotoCoreError) as exc:
        return [_aws_problem(settings, exc)]
    return []


def _topic_problems(client: Any, settings: SnsSettings) -> list[str]:
    from botocore.exceptions import ClientError

    try:
        client.get_topic_attributes(TopicArn=settings.topic_arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("NotFound", "NotFoundException"):
            raise
        return [
            f"SNS has no topic {settings.topic_arn}: delivery receipts would never arrive; "
            "create it or correct topic_arn"
        ]
    return []


def _aws_problem(settings: SnsSettings, exc: BaseException) -> str:
    from botocore.exceptions import ClientError, NoCredentialsError

    where = settings.endpoint_url or f"region {settings.region}"
    if isinstance(exc, NoCredentialsError):
        return (
            "SNS: no AWS credentials on this server: give access_key_id and "
            "secret_access_key, or give the server a role"
        )
    if not isinstance(exc, ClientError):
        return (
            f"SNS did not answer at {where} ({type(exc).__name__}): check region and "
            "endpoint_url, and that this server may reach AWS"
        )
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in _AWS_CREDENTIAL_CODES:
        return (
            f"SNS refused the credentials (HTTP {status} {code}): check access_key_id and "
            "secret_access_key"
        )
    if code in ("AuthorizationError", "AccessDenied", "AccessDeniedException"):
        return (
            f"SNS says the credentials may not read the account's text settings ({code}): "
            "allow sns:GetSMSAttributes (and sns:GetTopicAttributes on topic_arn)"
        )
    return f"SNS at {where} answered {code or 'an error'} (HTTP {status})"
