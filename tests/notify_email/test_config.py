"""A force's email settings are checked when saved: a wrong one is refused, naming the field."""

from typing import Any

import pytest
from sqlalchemy import select

from exhibit.forces.models import ForcePlugin
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig
from tests.fixtures.notify_peers import NOTIFY_EMAIL_TEMPLATE, NOTIFY_SECRET, NOTIFY_SERVICE_ID
from tests.notifications.helpers import enable, make_force
from tests.notify_email.conftest import FROM


def _notify(api_key: str) -> dict[str, Any]:
    return {
        "provider": "govuk_notify",
        "from_address": FROM,
        "govuk_notify": {"api_key": {"value": api_key}, "template_id": NOTIFY_EMAIL_TEMPLATE},
    }


@pytest.mark.parametrize(
    "api_key",
    [
        "NOTIFYKEY-SEKRIT-PG",
        f"exhibit_test-{NOTIFY_SERVICE_ID}-{NOTIFY_SECRET[:-4]}",
        f"{NOTIFY_SERVICE_ID}{NOTIFY_SECRET}",  # the name and a hyphen lost
    ],
)
async def test_a_notify_api_key_not_in_notifys_form_is_refused_without_echoing_it(
    email_platform: Platform, api_key: str
) -> None:
    kent = await make_force(email_platform, "kent")
    with pytest.raises(InvalidPluginConfig, match="notify_email") as refused:
        await enable(email_platform, kent, "notify_email", _notify(api_key))
    message = str(refused.value)
    assert "$.govuk_notify" in message and "name-serviceid-secret" in message
    assert "SEKRIT" not in message and NOTIFY_SECRET[:8] not in message
    async with email_platform.force_session(kent) as session:
        assert (await session.scalars(select(ForcePlugin))).all() == []
