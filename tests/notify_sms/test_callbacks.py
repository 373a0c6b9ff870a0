"""Delivery receipts from each SMS provider: genuine ones update the status, forged ones
are refused and change nothing."""

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
from exhibit_notify_sms.twilio import twilio_signature
from tests.fixtures.notify_peers import (
    TWILIO_SID,
    TWILIO_TOKEN,
    HttpPeer,
    SnsSigner,
    serving_certificate,
    sns_notification,
)
from tests.notifications.helpers import history, make_force, sent_through
from tests.notifications.helpers import notification as stored
from tests.notify_sms.conftest import (
    NOTIFY_CALLBACK_TOKEN,
    SENDER,
    notify_config,
    sns_settings,
    twilio_config,
)

TOPIC = "arn:aws:sns:eu-west-2:123456789012:sms-delivery"


@pytest.fixture
async def app(settings: Settings, sms_plugins: Plugins) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The real app with notify_sms, on its own platform."""
    async with AsyncTestClient(app=create_app(settings, sms_plugins)) as client:
        yield client


async def _sent(platform: Platform, slug: str, config: dict[str, Any]) -> tuple[int, int, str]:
    return await sent_through(platform, slug, "notify_sms", config, "07911 123456", "sms")


async def test_a_notify_receipt_with_the_token_marks_the_message_delivered(
    sms_platform: Platform, notify: HttpPeer, app: AsyncTestClient[Litestar]
) -> None:
    kent, message, reference = await _sent(sms_platform, "kent", notify_config(notify))
    receipt = {"id": reference, "reference": f"exhibit-{message}", "status": "delivered"}

    forged = await app.post(
        "/plugins/notify_sms/callbacks/kent/govuk_notify",
        json=receipt,
        headers={"Authorization": "Bearer guessed"},
    )
    assert forged.status_code == 401
    assert (await stored(sms_platform, kent, message)).status == DeliveryStatus.SENT

    genuine = await app.post(
        "/plugins/notify_sms/callbacks/kent/govuk_notify",
        json=receipt,
        headers={"Authorization": f"Bearer {NOTIFY_CALLBACK_TOKEN}"},
    )
    assert genuine.status_code == 204
    assert (await history(sms_platform, kent, message))[-1] == (
        "delivered",
        "Notify: delivered to the phone",
    )


async def test_a_notify_permanent_failure_receipt_alerts(
    sms_platform: Platform, notify: HttpPeer, app: AsyncTestClient[Litestar]
) -> None:
    kent, message, reference = await _sent(sms_platform, "kent", notify_config(notify))

    response = await app.post(
        "/plugins/notify_sms/callbacks/kent/govuk_notify",
        json={"id": reference, "status": "permanent-failure"},
        headers={"Authorization": f"Bearer {NOTIFY_CALLBACK_TOKEN}"},
    )

    assert response.status_code == 204
    row = await stored(sms_platform, kent, message)
    assert (row.status, row.status_detail) == (
        DeliveryStatus.FAILED_PERMANENTLY,
        "Notify: the number does not exist",
    )


async def test_a_twilio_callback_is_checked_against_its_signature(
    sms_platform: Platform, twilio: HttpPeer, app: AsyncTestClient[Litestar]
) -> None:
    kent, message, sid = await _sent(sms_platform, "kent", twilio_config(twilio))
    url = f"{sms_platform.settings.public_url}/plugins/notify_sms/callbacks/kent/twilio"
    params = {
        "AccountSid": TWILIO_SID,
        "MessageSid": sid,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }

    forged = await app.post(
        "/plugins/notify_sms/callbacks/kent/twilio",
        data=params,
        headers={"X-Twilio-Signature": twilio_signature("not-the-token", url, params)},
    )
    tampered = await app.post(
        "/plugins/notify_sms/callbacks/kent/twilio",
        data={**params, "MessageStatus": "delivered"},
        headers={"X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, params)},
    )
    assert (forged.status_code, tampered.status_code) == (403, 403)
    assert (await stored(sms_platform, kent, message)).status == DeliveryStatus.SENT

    genuine = await app.post(
        "/plugins/notify_sms/callbacks/kent/twilio",
        data=params,
        headers={"X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, params)},
    )
    assert genuine.status_code == 204
    row = await stored(sms_platform, kent, message)
    assert (row.status, row.status_detail) == (
        DeliveryStatus.FAILED_PERMANENTLY,
        "Twilio: undelivered (error 30003)",
    )


async def test_a_force_that_has_not_enabled_sms_has_no_callback(
    sms_platform: Platform, twilio: HttpPeer, app: AsyncTestClient[Litestar]
) -> None:
    await _sent(sms_platform, "kent", twilio_config(twilio))
    await make_force(sms_platform, "essex")

    response = await app.post(
        "/plugins/notify_sms/callbacks/essex/twilio",
        data={"MessageSid": "SM1", "MessageStatus": "delivered"},
    )

    assert response.status_code == 404


async def test_an_sns_status_message_is_checked_against_its_certificate(
    sms_platform: Platform, moto: str, app: AsyncTestClient[Litestar]
) -> None:
    signer = SnsSigner.create()
    with serving_certificate(signer) as host:
        settings = sns_settings(
            moto, topic_arn=TOPIC, certificate_hosts=[host], allow_http_certificates=True
        )
        config = {"provider": "sns", "sender_id": SENDER, "sns": settings}
        kent, message, message_id = await _sent(sms_platform, "kent", config)
        status = {
            "notification": {"messageId": message_id},
            "delivery": {"providerResponse": "Message has been accepted by phone"},
            "status": "SUCCESS",
        }
        signed = signer.sign(sns_notification(TOPIC, status))
        url = "/plugins/notify_sms/callbacks/kent/sns"

        tampered = {**signed, "Message": json.dumps({**status, "status": "FAILURE"})}
        other_signer = SnsSigner.create()
        other_signer.cert_url = "http://203.0.113.9/cert.pem"
        untrusted = other_signer.sign(sns_notification(TOPIC, status))
        # A trusted host that has no such certificate: refused, not a server error.
        other_signer.cert_url = f"http://{host}/no-such-certificate.pem"
        unfetchable = other_signer.sign(sns_notification(TOPIC, status))
        # Genuinely signed by SNS, but for someone else's topic subscribed to our address.
        other_topic = signer.sign(sns_notification("arn:aws:sns:eu-west-2:999:theirs", status))
        for forged in (tampered, untrusted, unfetchable, other_topic):
            response = await app.post(url, content=json.dumps(forged))
            assert response.status_code == 403, response.text
        assert (await stored(sms_platform, kent, message)).status == DeliveryStatus.SENT

        genuine = await app.post(url, content=json.dumps(signed))
        assert genuine.status_code == 204, genuine.text

    row = await stored(sms_platform, kent, message)
    assert (row.status, row.status_detail) == (
        DeliveryStatus.DELIVERED,
        "SNS: Message has been accepted by phone",
    )
