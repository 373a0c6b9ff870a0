"""Each SMS provider against its peer on loopback: what we send, and what we make of answers."""

import base64
import logging
import re
import time

import jwt
import pytest
from sqlalchemy import select

from exhibit.evidence.models import EvidenceItem
from exhibit.forces.models import Force, ForcePlugin
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.models import Job, JobStatus
from exhibit.notifications.models import DeliveryStatus, Notification
from exhibit.notifications.service import queue_message
from exhibit.notifications.sms_budget import segment_count
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest, RequestState, Submission
from exhibit.uploads.submissions import receipt_message
from tests.fixtures.notify_peers import (
    NOTIFY_SECRET,
    NOTIFY_SERVICE_ID,
    NOTIFY_SMS_TEMPLATE,
    TWILIO_SID,
    TWILIO_TOKEN,
    HttpPeer,
)
from tests.fixtures.witness import make_scene
from tests.notifications.helpers import (
    LINK,
    enable,
    history,
    make_due,
    make_force,
    queue,
    run_jobs,
)
from tests.notifications.helpers import notification as stored
from tests.notify_sms.conftest import (
    SENDER,
    notify_config,
    sent_sms,
    sns_settings,
    twilio_config,
    twilio_settings,
)

NATIONAL = "07911 123456"
E164 = "+447911123456"


async def test_notify_gets_a_signed_request_with_template_and_e164_number(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    kent = await make_force(sms_platform, "kent", "notify_sms", notify_config(notify))
    message = await queue(sms_platform, kent, NATIONAL)

    await run_jobs(sms_platform)

    (request,) = notify.requests
    assert (request.method, request.path) == ("POST", "/v2/notifications/sms")
    token = request.headers["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, NOTIFY_SECRET, algorithms=["HS256"])
    assert claims["iss"] == NOTIFY_SERVICE_ID
    assert abs(claims["iat"] - time.time()) < 30
    body = request.json()
    assert body["phone_number"] == E164
    assert body["template_id"] == NOTIFY_SMS_TEMPLATE
    assert body["reference"] == f"exhibit-{message}"
    assert LINK in body["personalisation"]["body"]
    row = await stored(sms_platform, kent, message)
    assert (row.status, row.provider) == (DeliveryStatus.SENT, "notify_sms:govuk_notify")
    assert row.provider_reference is not None and len(row.provider_reference) == 36


async def test_notify_refusing_our_key_fails_the_message_with_its_reason(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    config = notify_config(notify)
    config["govuk_notify"]["sms_sender_id"] = "c0ffee00-0000-4000-8000-00000000beef"
    config["govuk_notify"]["api_key"] = {
        "value": f"exhibit_test-{NOTIFY_SERVICE_ID}-00000000-0000-0000-0000-000000000000"
    }
    kent = await make_force(sms_platform, "kent", "notify_sms", config)
    message = await queue(sms_platform, kent, NATIONAL)

    await run_jobs(sms_platform)

    assert len(notify.requests) == 1
    assert notify.requests[0].json()["sms_sender_id"] == "c0ffee00-0000-4000-8000-00000000beef"
    steps = await history(sms_platform, kent, message)
    assert steps[-1][0] == "failed_permanently"
    assert "403" in steps[-1][1] and "Invalid token" in steps[-1][1]


async def test_notify_5xx_is_retried_and_delivered_when_it_recovers(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    kent = await make_force(sms_platform, "kent", "notify_sms", notify_config(notify))
    notify.fail_next((500, {"errors": [{"error": "Exception", "message": "Internal error"}]}))
    message = await queue(sms_platform, kent, NATIONAL)

    await run_jobs(sms_platform)
    assert (await stored(sms_platform, kent, message)).status == DeliveryStatus.FAILED_TEMPORARILY
    await make_due(sms_platform)
    await run_jobs(sms_platform)

    assert [s for s, _ in await history(sms_platform, kent, message)] == [
        "queued",
        "sending",
        "failed_temporarily",
        "sending",
        "sent",
    ]
    assert len(notify.requests) == 2


async def test_notify_400_fails_at_once_with_notifys_reason(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    kent = await make_force(sms_platform, "kent", "notify_sms", notify_config(notify))
    notify.fail_next(
        (
            400,
            {
                "status_code": 400,
                "errors": [{"error": "ValidationError", "message": "phone_number Not a UK mobile"}],
            },
        )
    )
    message = await queue(sms_platform, kent, NATIONAL)

    assert await run_jobs(sms_platform) == 1

    steps = await history(sms_platform, kent, message)
    assert steps[-1] == (
        "failed_permanently",
        "provider answered 400: phone_number Not a UK mobile",
    )


async def test_twilio_gets_basic_auth_and_the_form_with_sender_id_and_callback(
    sms_platform: Platform, twilio: HttpPeer
) -> None:
    kent = await make_force(sms_platform, "kent", "notify_sms", twilio_config(twilio))
    message = await queue(sms_platform, kent, NATIONAL)

    await run_jobs(sms_platform)

    (request,) = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    user, password = base64.b64decode(request.headers["authorization"][6:]).decode().split(":")
    assert (user, password) == (TWILIO_SID, TWILIO_TOKEN)
    form = request.form()
    assert form["To"] == E164
    assert form["From"] == SENDER
    assert LINK in form["Body"]
    assert form["StatusCallback"] == (
        f"{sms_platform.settings.public_url}/plugins/notify_sms/callbacks/kent/twilio"
    )
    row = await stored(sms_platform, kent, message)
    assert row.status == DeliveryStatus.SENT
    assert row.provider_reference is not None and row.provider_reference.startswith("SM")


async def test_twilio_refusing_our_credentials_is_a_permanent_failure(
    sms_platform: Platform, twilio: HttpPeer
) -> None:
    config = twilio_config(twilio)
    config["twilio"] = twilio_settings(twilio, token="wrong-token")
    kent = await make_force(sms_platform, "kent", "notify_sms", config)
    message = await queue(sms_platform, kent, NATIONAL)

    await run_jobs(sms_platform)

    steps = await history(sms_platform, kent, message)
    assert steps[-1] == ("failed_permanently", "provider answered 401: 20003 Authenticate")


async def test_twilio_429_is_retried_and_a_quoted_number_never_reaches_the_record(
    sms_platform: Platform, twilio: HttpPeer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    kent = await make_force(sms_platform, "kent", "notify_sms", twilio_config(twilio))
    twilio.fail_next(
        (429, {"code": 20429, "message": "Too Many Requests", "status": 429}),
        (400, {"code": 21211, "message": f"The 'To' number {E164} is not valid.", "status": 400}),
    )
    message = await queue(sms_platform, kent, NATIONAL)

    await run_jobs(sms_platform)
    await make_due(sms_platform)
    await run_jobs(sms_platform)

    steps = await history(sms_platform, kent, message)
    assert [s for s, _ in steps] == [
        "queued",
        "sending",
        "failed_temporarily",
        "sending",
        "failed_permanently",
    ]
    assert steps[2][1] == "provider answered 429: 20429 Too Many Requests"
    assert steps[-1][1] == "provider answered 400: 21211 The 'To' number [recipient] is not valid."
    assert "provider answered 400" in caplog.text
    # The number in any form (not "7911" alone: a logged audit hash may hold those digits).
    assert not re.search(r"7911\s?123\s?456", caplog.text) and LINK not in caplog.text


async def test_a_provider_that_does_not_answer_is_retried(sms_platform: Platform) -> None:
    # Nothing listens on this port: connection refused, as when a provider is down.
    config = twilio_config(HttpPeer(lambda r: (200, {}), url="http://127.0.0.1:9"))
    kent = await make_force(sms_platform, "kent", "notify_sms", config)
    message = await queue(sms_platform, kent, NATIONAL)

    await run_jobs(sms_platform)

    steps = await history(sms_platform, kent, message)
    assert steps[-1] == ("failed_temporarily", "Twilio did not answer: ConnectError")


async def test_sns_publishes_the_text_to_the_e164_number(sms_platform: Platform, moto: str) -> None:
    config = {"provider": "sns", "sender_id": SENDER, "sns": sns_settings(moto)}
    kent = await make_force(sms_platform, "kent", "notify_sms", config)
    message = await queue(sms_platform, kent, NATIONAL)

    await run_jobs(sms_platform)

    (published,) = sent_sms(moto)
    assert published["phone_number"] == E164
    assert LINK in published["message"]
    row = await stored(sms_platform, kent, message)
    assert (row.status, row.provider_reference) == (DeliveryStatus.SENT, published["message_id"])


async def test_a_number_that_cannot_take_a_text_is_refused_before_sending(
    sms_platform: Platform, moto: str
) -> None:
    config = {"provider": "sns", "sender_id": SENDER, "sns": sns_settings(moto)}
    kent = await make_force(sms_platform, "kent", "notify_sms", config)
    message = await queue(sms_platform, kent, "01632 960000")  # a landline: no texts

    await run_jobs(sms_platform)

    assert sent_sms(moto) == []
    steps = await history(sms_platform, kent, message)
    assert steps[-1] == ("failed_permanently", "the number is not a valid mobile number")


async def test_a_permanent_failure_goes_through_the_fallback_once(
    sms_platform: Platform, twilio: HttpPeer, moto: str
) -> None:
    config = twilio_config(twilio, fallback="sns", sns=sns_settings(moto))
    kent = await make_force(sms_platform, "kent", "notify_sms", config)
    twilio.fail_next((400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}))
    message = await queue(sms_platform, kent, NATIONAL)

    await run_jobs(sms_platform)

    assert len(twilio.requests) == 1
    (published,) = sent_sms(moto)
    assert published["phone_number"] == E164
    steps = await history(sms_platform, kent, message)
    assert [s for s, _ in steps] == [
        "queued",
        "sending",
        "failed_permanently",
        "queued",
        "sending",
        "sent",
    ]
    assert "21610" in steps[2][1]
    assert steps[3][1] == "handed to fallback provider notify_sms"
    row = await stored(sms_platform, kent, message)
    assert (row.provider, row.used_fallback) == ("notify_sms:sns", True)


async def test_the_fallback_is_used_once_only(
    sms_platform: Platform, twilio: HttpPeer, notify: HttpPeer
) -> None:
    config = twilio_config(
        twilio, fallback="govuk_notify", govuk_notify=notify_config(notify)["govuk_notify"]
    )
    kent = await make_force(sms_platform, "kent", "notify_sms", config)
    twilio.fail_next((400, {"code": 21211, "message": "invalid"}))
    notify.fail_next((400, {"errors": [{"error": "BadRequestError", "message": "invalid"}]}))
    message = await queue(sms_platform, kent, NATIONAL)

    await run_jobs(sms_platform)

    assert (len(twilio.requests), len(notify.requests)) == (1, 1)
    row = await stored(sms_platform, kent, message)
    assert row.status == DeliveryStatus.FAILED_PERMANENTLY


async def test_a_provider_that_stays_down_hands_over_to_the_fallback(
    sms_platform: Platform, twilio: HttpPeer, notify: HttpPeer
) -> None:
    config = twilio_config(
        twilio, fallback="govuk_notify", govuk_notify=notify_config(notify)["govuk_notify"]
    )
    kent = await make_force(sms_platform, "kent", "notify_sms", config)
    twilio.fail_next(*[(503, {"code": 20500, "message": "Service Unavailable"})] * 3)
    message = await queue(sms_platform, kent, NATIONAL)

    for _ in range(3):
        await run_jobs(sms_platform)
        await make_due(sms_platform)
    await run_jobs(sms_platform)

    assert (len(twilio.requests), len(notify.requests)) == (3, 1)
    row = await stored(sms_platform, kent, message)
    assert (row.status, row.provider) == (DeliveryStatus.SENT, "notify_sms:govuk_notify")


async def test_only_the_force_that_enabled_sms_sends_texts(
    sms_platform: Platform, twilio: HttpPeer
) -> None:
    kent = await make_force(sms_platform, "kent", "notify_sms", twilio_config(twilio))
    essex = await make_force(sms_platform, "essex")
    await queue(sms_platform, kent, NATIONAL)
    essex_message = await queue(sms_platform, essex, "07911 654321")

    await run_jobs(sms_platform)

    assert [r.form()["To"] for r in twilio.requests] == [E164]
    async with sms_platform.system_session() as session:
        essex_row = await session.get(Notification, essex_message)
        providers = set(await session.scalars(select(Notification.provider)))
    assert essex_row is not None and essex_row.provider == "outbox:outbox"
    assert providers == {"notify_sms:twilio", "outbox:outbox"}


async def test_a_long_message_keeps_the_link_and_force_within_the_budget(
    sms_platform: Platform, twilio: HttpPeer
) -> None:
    kent = await make_force(
        sms_platform, "kent", "notify_sms", twilio_config(twilio, max_segments=2)
    )
    officer = "Please send the dashcam video of the collision on the A20. " * 12
    body = "\n".join(
        [
            "Kent Police is asking you to send photos or videos as evidence.",
            officer.strip(),
            f"Upload them securely here: {LINK}",
            "Questions: call 101",
        ]
    )
    await queue(sms_platform, kent, NATIONAL, body=body)

    await run_jobs(sms_platform)

    sent = twilio.requests[0].form()["Body"]
    assert len(sent) <= 2 * 153
    assert LINK in sent and "Kent Police" in sent
    assert "Please send the dashcam video" in sent and "..." in sent


async def test_notify_gets_no_more_than_its_918_characters_whatever_the_force_allows(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    kent = await make_force(
        sms_platform, "kent", "notify_sms", notify_config(notify, max_segments=10)
    )
    officer = "Please send the dashcam video of the collision on the A20. " * 30
    body = f"Kent Police is asking for evidence.\n{officer.strip()}\nUpload it here: {LINK}"
    message = await queue(sms_platform, kent, NATIONAL, body=body)

    await run_jobs(sms_platform)

    sent = notify.requests[0].json()["personalisation"]["body"]
    assert len(sent) <= 918
    assert LINK in sent and "Kent Police" in sent and "Please send the dashcam" in sent
    row = await stored(sms_platform, kent, message)
    assert row.status == DeliveryStatus.SENT


async def test_an_officers_request_reaches_the_witness_with_only_what_it_may_say(
    sms_platform: Platform, twilio: HttpPeer
) -> None:
    scene = await make_scene(sms_platform, "kent", message="Please send the dashcam clip.")
    await enable(sms_platform, scene.force_id, "notify_sms", twilio_config(twilio))

    await run_jobs(sms_platform)

    (request,) = twilio.requests
    body = request.form()["Body"]
    assert f"/u/{scene.token}" in body
    assert "Kent Police" in body
    assert "Please send the dashcam clip." in body
    assert "Call 101 quoting your reference" in body
    assert "KENT/123/26" not in body and "Sam Witness" not in body  # case and name stay inside
    async with sms_platform.force_session(scene.force_id) as session:
        evidence_request = await session.get(EvidenceRequest, scene.request_id)
        assert evidence_request is not None and evidence_request.state == RequestState.SENT


async def _queued_and_run_once(platform: Platform, kent: int) -> list[tuple[str, str]]:
    """Queue a text, run what is due, and check nothing is left to retry; its history."""
    message = await queue(platform, kent, NATIONAL)
    assert await run_jobs(platform) == 1
    await make_due(platform)
    assert await run_jobs(platform) == 0, "not retried"
    async with platform.system_session() as session:
        assert set(await session.scalars(select(Job.status))) == {JobStatus.SUCCEEDED}
    return await history(platform, kent, message)


async def test_a_malformed_notify_key_read_when_sending_fails_at_once_not_after_retries(
    sms_platform: Platform, notify: HttpPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = notify_config(notify)
    config["govuk_notify"]["api_key"] = {"env": "EXHIBIT_FORCE_KENT_NOTIFY_KEY"}
    monkeypatch.delenv("EXHIBIT_FORCE_KENT_NOTIFY_KEY", raising=False)
    # A reference is read when used, not when saved: the variable may be set later.
    kent = await make_force(sms_platform, "kent", "notify_sms", config)
    monkeypatch.setenv("EXHIBIT_FORCE_KENT_NOTIFY_KEY", "NOTIFYKEY-SEKRIT-PG")

    steps = await _queued_and_run_once(sms_platform, kent)

    assert notify.requests == []
    status, detail = steps[-1]
    assert status == "failed_permanently"
    assert "name-serviceid-secret" in detail and "SEKRIT" not in detail


async def test_a_notify_key_whose_variable_is_unset_fails_at_once_naming_it(
    sms_platform: Platform, notify: HttpPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = notify_config(notify)
    config["govuk_notify"]["api_key"] = {"env": "EXHIBIT_FORCE_KENT_NOTIFY_KEY"}
    kent = await make_force(sms_platform, "kent", "notify_sms", config)
    monkeypatch.delenv("EXHIBIT_FORCE_KENT_NOTIFY_KEY", raising=False)

    steps = await _queued_and_run_once(sms_platform, kent)

    assert notify.requests == []
    assert steps[-1][0] == "failed_permanently"
    assert "EXHIBIT_FORCE_KENT_NOTIFY_KEY is not set" in steps[-1][1]


async def test_a_malformed_notify_key_saved_before_it_was_checked_fails_at_once(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    kent = await make_force(sms_platform, "kent", "notify_sms", notify_config(notify))
    async with sms_platform.force_session(kent) as session:
        row = await session.scalar(select(ForcePlugin))
        assert row is not None
        stored_key = {"encrypted": sms_platform.secret_box.encrypt("NOTIFYKEY-SEKRIT-PG")}
        row.config = {**row.config, "govuk_notify": {**row.config["govuk_notify"]}}
        row.config["govuk_notify"]["api_key"] = stored_key
        await session.commit()

    steps = await _queued_and_run_once(sms_platform, kent)

    assert notify.requests == []
    status, detail = steps[-1]
    assert status == "failed_permanently"
    assert "notify_sms" in detail and "name-serviceid-secret" in detail
    assert "SEKRIT" not in detail


async def test_a_receipt_too_long_for_a_text_says_where_the_rest_is(
    sms_platform: Platform, twilio: HttpPeer
) -> None:
    kent = await make_force(sms_platform, "kent", "notify_sms", twilio_config(twilio))
    force = Force(name="Kent Police", contact_details="call 101")
    submission = Submission(reference="EXH-ABCD-2345", language="en")
    files = [
        EvidenceItem(original_filename=f"photo-{n}.jpg", size=3_000_000 + n, sha256=f"{n}" * 64)
        for n in range(5)
    ]
    async with force_transaction(sms_platform, kent) as tx:
        await queue_message(
            tx.session,
            sms_platform.secret_box,
            kent,
            channel="sms",
            recipient=NATIONAL,
            content=receipt_message(force, submission, files),
            purpose="receipt",
        )

    await run_jobs(sms_platform)

    sent = twilio.requests[0].form()["Body"]
    assert segment_count(sent) <= 3  # the force's budget (the default)
    assert "Kent Police has received your evidence. Reference: EXH-ABCD-2345" in sent
    assert sent.count("SHA-256: ") < 5
    assert sent.endswith(
        "Not every file fits in a text: the confirmation page listed them all, or ask us "
        "quoting EXH-ABCD-2345."
    )
