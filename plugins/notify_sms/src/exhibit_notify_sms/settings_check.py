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
from typing import Any

from exhibit.notifications.aws import aws_client, aws_problem
from exhibit.notifications.govuk_notify import fetch_template, template_problems
from exhibit.notifications.provider_choice import check_chosen_providers
from exhibit_notify_sms.config import Config, NotifySettings, SnsSettings, TwilioSettings
from exhibit_notify_sms.twilio import twilio_reason


async def check_settings(config: Config) -> list[str]:
    """What stops the force's provider, or its fallback, from sending (empty: nothing)."""
    return await check_chosen_providers(
        config, lambda key, time_limit: _check_provider(config, key, time_limit)
    )


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
    found = fetch_template(settings.api_key, settings.base_url, settings.template_id, timeout)
    if isinstance(found, str):
        return [found]
    return template_problems(settings.template_id, found, "sms")


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
        permissions = "sns:GetSMSAttributes (and sns:GetTopicAttributes on topic_arn)"
        return [aws_problem("SNS", settings, exc, permissions)]
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
