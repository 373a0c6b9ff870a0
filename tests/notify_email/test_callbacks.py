"""Email delivery receipts: Notify's (bearer token) and SES events through SNS (signature)."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from exhibit.notifications.models import DeliveryStatus
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.fixtures.notify_peers import HttpPeer, SnsSigner, serving_certificate, sns_notification
from tests.notifications.helpers import notification as stored
from tests.notifications.helpers import sent_through
from tests.notify_email.conftest import (
    FROM,
    NOTIFY_CALLBACK_TOKEN,
    notify_settings,
    ses_settings,
)

TOPIC = "arn:aws:sns:eu-west-2:123456789012:ses-events"
WITNESS = "witness@example.org"


@pytest.fixture
async def app(
    settings: Settings, email_plugins: Plugins
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The real app with notify_email, on its own platform."""
    async with AsyncTestClient(app=create_app(settings, email_plugins)) as client:
        yield client


async def _sent(platform: Platform, config: dict[str, Any]) -> tuple[int, int, str]:
    return await sent_through(platform, "kent", "notify_email", config, WITNESS, "email")


async def test_a_notify_email_receipt_needs_the_token(
    email_platform: Platform, notify: HttpPeer, app: AsyncTestClient[Litestar]
) -> None:
    config = {
        "provider": "govuk_notify",
        "from_address": FROM,
        "govuk_notify": notify_settings(notify),
    }
    kent, message, reference = await _sent(email_platform, config)
    url = "/plugins/notify_email/callbacks/kent/govuk_notify"
    receipt = {"id": reference, "status": "delivered"}

    missing = await app.post(url, json=receipt)
    forged = await app.post(url, json=receipt, headers={"Authorization": "Bearer nope"})
    assert (missing.status_code, forged.status_code) == (401, 401)
    assert (await stored(email_platform, kent, message)).status == DeliveryStatus.SENT

    genuine = await app.post(
        url, json=receipt, headers={"Authorization": f"Bearer {NOTIFY_CALLBACK_TOKEN}"}
    )
    assert genuine.status_code == 204
    assert (await stored(email_platform, kent, message)).status == DeliveryStatus.DELIVERED


async def test_an_ses_bounce_through_sns_is_checked_and_recorded(
    email_platform: Platform, moto: str, app: AsyncTestClient[Litestar]
) -> None:
    signer = SnsSigner.create()
    with serving_certificate(signer) as host:
        ses = ses_settings(
            moto, topic_arn=TOPIC, certificate_hosts=[host], allow_http_certificates=True
        )
        config = {"provider": "ses", "from_address": FROM, "ses": ses}
        kent, message, message_id = await _sent(email_platform, config)
        bounce = {
            "eventType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bounceSubType": "NoEmail"},
            "mail": {"messageId": message_id},
        }
        url = "/plugins/notify_email/callbacks/kent/ses"
        signed = signer.sign(sns_notification(TOPIC, bounce), version="1")

        wrong_topic = signer.sign(sns_notification(TOPIC + "-other", bounce))
        unsigned = {**signed, "Signature": signed["Signature"][::-1]}
        for forged in (wrong_topic, unsigned):
            response = await app.post(url, content=json.dumps(forged))
            assert response.status_code == 403, response.text
        assert (await stored(email_platform, kent, message)).status == DeliveryStatus.SENT

        genuine = await app.post(url, content=json.dumps(signed))
        assert genuine.status_code == 204, genuine.text

    row = await stored(email_platform, kent, message)
    assert (row.status, row.status_detail) == (
        DeliveryStatus.FAILED_PERMANENTLY,
        "SES: the address bounced (NoEmail)",
    )
