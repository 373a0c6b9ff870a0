"""A force's SMS settings are checked when saved: a wrong one is refused, naming the field."""

from typing import Any

import pytest
from sqlalchemy import select

from exhibit.forces.models import ForcePlugin
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig
from tests.fixtures.notify_peers import (
    NOTIFY_SECRET,
    NOTIFY_SERVICE_ID,
    NOTIFY_SMS_TEMPLATE,
    TWILIO_SID,
    TWILIO_TOKEN,
)
from tests.notifications.helpers import enable, make_force


def _twilio(**extra: Any) -> dict[str, Any]:
    return {
        "provider": "twilio",
        "sender_id": "KentPolice",
        "twilio": {"account_sid": TWILIO_SID, "auth_token": {"value": TWILIO_TOKEN}},
        **extra,
    }


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ({"provider": "twilio", "sender_id": "KentPolice"}, "has no `twilio` settings"),
        (_twilio(fallback="sns"), "has no `sns` settings"),
        (_twilio(fallback="twilio"), "must be a different provider"),
        (_twilio(sender_id="Kent Police HQ"), "$.sender_id"),
        (_twilio(sender_id="0800"), "$.sender_id"),
        (_twilio(max_segments=0), "$.max_segments"),
        (_twilio(providr="sns"), "providr"),
    ],
)
async def test_a_wrong_configuration_is_refused_and_nothing_is_saved(
    sms_platform: Platform, config: dict[str, Any], complaint: str
) -> None:
    kent = await make_force(sms_platform, "kent")
    with pytest.raises(InvalidPluginConfig, match="notify_sms") as refused:
        await enable(sms_platform, kent, "notify_sms", config)
    assert complaint in str(refused.value)
    async with sms_platform.force_session(kent) as session:
        assert (await session.scalars(select(ForcePlugin))).all() == []


async def test_the_auth_token_is_stored_encrypted(sms_platform: Platform) -> None:
    kent = await make_force(sms_platform, "kent")
    await enable(sms_platform, kent, "notify_sms", _twilio())
    async with sms_platform.force_session(kent) as session:
        row = await session.scalar(select(ForcePlugin))
    assert row is not None
    assert TWILIO_TOKEN not in str(row.config)
    assert set(row.config["twilio"]["auth_token"]) == {"encrypted"}


def _notify(api_key: dict[str, str]) -> dict[str, Any]:
    return {
        "provider": "govuk_notify",
        "sender_id": "KentPolice",
        "govuk_notify": {"api_key": api_key, "template_id": NOTIFY_SMS_TEMPLATE},
    }


@pytest.mark.parametrize(
    "api_key",
    [
        "NOTIFYKEY-SEKRIT-PG",  # what the operator audit found accepted
        f"exhibit_test-{NOTIFY_SERVICE_ID}-{NOTIFY_SECRET[:-4]}",  # cut short when copied
        f"exhibit_test-{NOTIFY_SECRET}",  # the service id left out
        f"exhibit_test-{NOTIFY_SERVICE_ID}-{NOTIFY_SECRET}\n",  # a line end pasted with it
    ],
)
async def test_a_notify_api_key_not_in_notifys_form_is_refused_without_echoing_it(
    sms_platform: Platform, api_key: str
) -> None:
    kent = await make_force(sms_platform, "kent")
    with pytest.raises(InvalidPluginConfig, match="notify_sms") as refused:
        await enable(sms_platform, kent, "notify_sms", _notify({"value": api_key}))
    message = str(refused.value)
    assert "$.govuk_notify" in message and "name-serviceid-secret" in message
    assert "SEKRIT" not in message and NOTIFY_SECRET[:8] not in message
    async with sms_platform.force_session(kent) as session:
        assert (await session.scalars(select(ForcePlugin))).all() == []
