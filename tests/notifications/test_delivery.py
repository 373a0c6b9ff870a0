"""Messages go through the force's own notifier, or the outbox; failures are recorded."""

import logging
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import select, text, update

from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.models import Job, JobStatus
from exhibit.jobs.worker import Worker
from exhibit.notifications.models import DeliveryStatus, Notification, NotificationStatusChange
from exhibit.notifications.service import DELIVERY_ATTEMPTS, MessageContent, queue_message
from exhibit.notifications.sms_budget import DEFAULT_MAX_SEGMENTS, segment_count
from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.settings import Settings
from exhibit.uploads.models import EvidenceRequest
from exhibit.uploads.requests import resend_request, revoke_request
from tests.fixtures.third_party import installed_plugin
from tests.fixtures.witness import make_scene
from tests.notifications.helpers import enable, run_jobs
from tests.notifications.helpers import notification as notification_row

# A text-message provider that behaves as the test tells it to, and remembers what it got.
PAGER = """
from exhibit.plugins import DeliveryFailed, Outcome, SendResult, hookimpl

received = []
script = []

class Pager:
    channel = "sms"
    key = "pager"

    def __init__(self, context):
        if script and script[0] == "unbuildable":
            script.pop(0)
            raise RuntimeError("the settings hold no usable key")
        self.context = context

    async def send(self, message):
        outcome = script.pop(0) if script else "sent"
        if outcome == "busy":
            raise DeliveryFailed("provider answered 503", permanent=False)
        if outcome == "invalid":
            raise DeliveryFailed("invalid number", permanent=True)
        if outcome == "echo":  # a provider whose error repeats the message it refused
            raise DeliveryFailed(f"provider answered 400 for {message.body!r}", permanent=False)
        received.append((self.context.force.slug, message.recipient, message.body))
        return SendResult(Outcome.SENT, reference="pager-1")

@hookimpl
def exhibit_notifiers():
    return [Pager]
"""

LINK_MESSAGE = "Kent Police asks for your footage: https://exhibit.test/u/secret-token-123"


@pytest.fixture
async def pager_platform(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[Platform, ModuleType]]:
    with installed_plugin(tmp_path / "site", "pager", PAGER) as module_name:
        platform = Platform(settings, load_plugins())
        yield platform, sys.modules[module_name]
        await platform.close()


async def _force(platform: Platform, slug: str, *, pager: bool) -> int:
    async with platform.system_session() as session:
        force = await create_force(session, slug=slug, name=slug.title(), actor="test")
        await session.commit()
    if pager:
        async with force_transaction(platform, force.id) as tx:
            await configure_plugin(
                tx.session,
                platform.plugins,
                platform.secret_box,
                force.id,
                "pager",
                enabled=True,
                config=None,
                actor="test",
            )
    return force.id


async def _queue(platform: Platform, force_id: int, recipient: str = "+447700900123") -> int:
    async with force_transaction(platform, force_id) as tx:
        notification = await queue_message(
            tx.session,
            platform.secret_box,
            force_id,
            channel="sms",
            recipient=recipient,
            content=MessageContent(body=LINK_MESSAGE),
            purpose="upload_link",
        )
    return notification.id


async def _history(platform: Platform, force_id: int, notification_id: int) -> list[str]:
    async with platform.force_session(force_id) as session:
        changes = await session.scalars(
            select(NotificationStatusChange.status)
            .where(NotificationStatusChange.notification_id == notification_id)
            .order_by(NotificationStatusChange.id)
        )
        return [status.value for status in changes]


async def _make_due(platform: Platform) -> None:
    async with platform.system_session() as session:
        await session.execute(update(Job).values(run_at=utcnow()))
        await session.commit()


async def test_only_the_force_that_enabled_a_notifier_sends_through_it(
    pager_platform: tuple[Platform, ModuleType],
) -> None:
    platform, pager = pager_platform
    kent = await _force(platform, "kent", pager=True)
    essex = await _force(platform, "essex", pager=False)
    kent_message = await _queue(platform, kent)
    essex_message = await _queue(platform, essex, "+447700900456")

    worker = Worker(platform)
    while await worker.run_once():
        pass

    assert pager.received == [("kent", "+447700900123", LINK_MESSAGE)]
    async with platform.system_session() as session:
        rows = {n.id: n for n in await session.scalars(select(Notification))}
    assert (rows[kent_message].provider, rows[kent_message].status) == (
        "pager:pager",
        DeliveryStatus.SENT,
    )
    assert (rows[essex_message].provider, rows[essex_message].status) == (
        "outbox:outbox",
        DeliveryStatus.DELIVERED,
    )
    assert await _history(platform, kent, kent_message) == ["queued", "sending", "sent"]


async def test_recipient_and_body_are_encrypted_at_rest(
    pager_platform: tuple[Platform, ModuleType],
) -> None:
    platform, _ = pager_platform
    essex = await _force(platform, "essex", pager=False)
    await _queue(platform, essex)
    async with platform.system_session() as session:
        raw = " ".join(
            str(row) for row in (await session.execute(text("SELECT * FROM notification"))).all()
        )
        raw += " ".join(
            str(row) for row in (await session.execute(text("SELECT * FROM job"))).all()
        )
    assert "secret-token-123" not in raw
    assert "+447700900123" not in raw


async def test_a_temporary_failure_is_retried_and_then_sent(
    pager_platform: tuple[Platform, ModuleType],
) -> None:
    platform, pager = pager_platform
    kent = await _force(platform, "kent", pager=True)
    pager.script[:] = ["busy"]
    message = await _queue(platform, kent)

    worker = Worker(platform)
    assert await worker.run_once()
    async with platform.system_session() as session:
        job = (await session.scalars(select(Job))).one()
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert job.run_at > utcnow()  # backing off

    await _make_due(platform)
    assert await worker.run_once()
    assert await _history(platform, kent, message) == [
        "queued",
        "sending",
        "failed_temporarily",
        "sending",
        "sent",
    ]
    assert len(pager.received) == 1


async def test_a_providers_error_that_repeats_the_link_is_stored_and_logged_without_it(
    pager_platform: tuple[Platform, ModuleType], caplog: pytest.LogCaptureFixture
) -> None:
    platform, pager = pager_platform
    kent = await _force(platform, "kent", pager=True)
    pager.script[:] = ["echo"]
    message = await _queue(platform, kent)

    with caplog.at_level(logging.INFO):
        assert await Worker(platform).run_once()

    async with platform.force_session(kent) as session:
        notification = await session.get(Notification, message)
        details = await session.scalars(
            select(NotificationStatusChange.detail).where(
                NotificationStatusChange.notification_id == message
            )
        )
        job = (await session.scalars(select(Job))).one()
    assert notification is not None
    assert notification.status_detail.startswith("provider answered 400 for")
    assert "/u/[link]" in notification.status_detail
    assert job.last_error is not None and "/u/[link]" in job.last_error
    stored = [notification.status_detail, job.last_error, *details, caplog.text]
    assert not [text for text in stored if "secret-token-123" in text]


async def test_a_permanent_failure_is_recorded_once_and_not_retried(
    pager_platform: tuple[Platform, ModuleType],
) -> None:
    platform, pager = pager_platform
    kent = await _force(platform, "kent", pager=True)
    pager.script[:] = ["invalid"]
    message = await _queue(platform, kent)

    worker = Worker(platform)
    assert await worker.run_once()
    assert not await worker.run_once()
    assert await _history(platform, kent, message) == ["queued", "sending", "failed_permanently"]
    async with platform.force_session(kent) as session:
        detail = await session.scalar(
            select(NotificationStatusChange.detail).where(
                NotificationStatusChange.status == DeliveryStatus.FAILED_PERMANENTLY
            )
        )
    assert detail == "invalid number"
    assert pager.received == []


async def test_an_unknown_channel_is_refused(platform: Platform) -> None:
    async with platform.system_session() as session:
        force = await create_force(session, slug="kent", name="Kent", actor="test")
        await session.commit()
    with pytest.raises(ValueError, match="unknown channel"):
        async with force_transaction(platform, force.id) as tx:
            await queue_message(
                tx.session,
                platform.secret_box,
                force.id,
                channel="pigeon",
                recipient="x",
                content=MessageContent(body="hi"),
                purpose="test",
            )


async def _job_row(platform: Platform) -> Job:
    async with platform.system_session() as session:
        return (await session.scalars(select(Job))).one()


async def test_a_temporary_failure_is_retried_over_hours_with_a_growing_back_off(
    pager_platform: tuple[Platform, ModuleType],
) -> None:
    platform, pager = pager_platform
    kent = await _force(platform, "kent", pager=True)
    pager.script[:] = ["busy"] * DELIVERY_ATTEMPTS
    message = await _queue(platform, kent)
    worker = Worker(platform)

    waits = []
    for attempt in range(1, DELIVERY_ATTEMPTS):
        failed_at = utcnow()
        assert await worker.run_once()
        job = await _job_row(platform)
        assert (job.status, job.attempts) == (JobStatus.QUEUED, attempt)
        waits.append(job.run_at - failed_at)
        assert not await worker.run_once(), "not due before its back-off"
        await _make_due(platform)
    assert await worker.run_once()

    # 30 s, doubling, up to 30 min; each less at most a fifth for jitter.
    assert timedelta(seconds=24) <= waits[0] <= timedelta(seconds=31)
    assert timedelta(seconds=48) <= waits[1] <= timedelta(seconds=61)
    assert max(waits) <= timedelta(minutes=30, seconds=1)
    assert timedelta(hours=4) <= sum(waits, timedelta()) <= timedelta(hours=5, minutes=5)
    steps = await _history(platform, kent, message)
    assert steps == ["queued"] + ["sending", "failed_temporarily"] * (DELIVERY_ATTEMPTS - 1) + [
        "sending",
        "failed_permanently",
    ]
    assert (await _job_row(platform)).status is JobStatus.SUCCEEDED
    assert pager.received == []


async def test_a_notifier_that_cannot_be_built_fails_the_message_at_once(
    pager_platform: tuple[Platform, ModuleType],
) -> None:
    platform, pager = pager_platform
    kent = await _force(platform, "kent", pager=True)
    pager.script[:] = ["unbuildable"]
    message = await _queue(platform, kent)

    worker = Worker(platform)
    assert await worker.run_once()
    await _make_due(platform)
    assert not await worker.run_once(), "not retried"

    assert await _history(platform, kent, message) == ["queued", "failed_permanently"]
    row = await notification_row(platform, kent, message)
    assert row.status_detail == (
        "the provider cannot be set up from the force's settings: RuntimeError"
    )
    assert row.provider == "pager:pager"
    assert (await _job_row(platform)).status is JobStatus.SUCCEEDED


async def test_a_link_closed_while_its_message_waited_is_not_sent(platform: Platform) -> None:
    scene = await make_scene(platform)  # its link message is queued, not yet sent
    async with force_transaction(platform, scene.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        await revoke_request(tx.session, request, reason="sent to the wrong number", actor="test")

    await run_jobs(platform)

    async with platform.force_session(scene.force_id) as session:
        link = await session.scalar(
            select(Notification).where(Notification.request_id == scene.request_id)
        )
        assert link is not None
        detail = await session.scalar(
            select(NotificationStatusChange.detail)
            .where(NotificationStatusChange.notification_id == link.id)
            .order_by(NotificationStatusChange.id.desc())
            .limit(1)
        )
    assert link.status == DeliveryStatus.FAILED_PERMANENTLY
    assert link.provider == ""  # no notifier was asked to send it
    assert detail == "not sent: the link was revoked before the message could go"


async def test_a_welsh_and_english_text_over_budget_keeps_its_essentials_in_both(
    pager_platform: tuple[Platform, ModuleType],
) -> None:
    """The officer's words and the contact details go in both languages at once."""
    platform, pager = pager_platform
    officer = "Please send the video of the red car you saw on Tuesday evening. " * 6
    scene = await make_scene(platform, "kent", message=officer.strip())
    async with force_transaction(platform, scene.force_id) as tx:
        force = await tx.session.get(Force, scene.force_id)
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert force is not None and request is not None
        force.welsh_enabled = True
        force.contact_details_cy = "Ffoniwch 101 a rhowch eich cyfeirnod"
        token = await resend_request(
            tx.session,
            platform.secret_box,
            force,
            request,
            actor="test",
            public_url="https://exhibit.test",
        )
    await enable(platform, scene.force_id, "pager", None)

    await run_jobs(platform)

    *_, (_, _, text) = pager.received
    lines = text.splitlines()
    assert segment_count(text) <= DEFAULT_MAX_SEGMENTS
    assert lines[0] == "Mae Kent Police yn gofyn i chi anfon lluniau neu fideos fel tystiolaeth."
    assert lines[1] == "Kent Police is asking you to send photos or videos as evidence."
    assert lines[2].endswith(f"Upload them securely here: https://exhibit.test/u/{token}")
    assert lines[3].startswith("Mae'r ddolen yn gweithio tan ")
    assert lines[4].startswith("The link works until ")
    assert len(lines) == 5  # no officer's words, no contact details, in either language


async def test_a_link_replaced_while_its_message_waited_is_not_sent_late(
    pager_platform: tuple[Platform, ModuleType],
) -> None:
    """The provider is down; the officer resends; only the working link reaches the witness."""
    platform, pager = pager_platform
    scene = await make_scene(platform, "kent")
    await enable(platform, scene.force_id, "pager", None)
    pager.script[:] = ["busy"]
    await run_jobs(platform)  # the first link waits out the outage
    async with force_transaction(platform, scene.force_id) as tx:
        force = await tx.session.get(Force, scene.force_id)
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert force is not None and request is not None
        token = await resend_request(
            tx.session,
            platform.secret_box,
            force,
            request,
            actor="test",
            public_url="https://exhibit.test",
        )

    await _make_due(platform)
    await run_jobs(platform)

    assert [body.rsplit("/u/", 1)[1].split()[0] for _, _, body in pager.received] == [token]
    async with platform.force_session(scene.force_id) as session:
        first = await session.scalar(
            select(Notification).where(Notification.request_id == scene.request_id).limit(1)
        )
    assert first is not None and first.status == DeliveryStatus.FAILED_PERMANENTLY
    assert first.status_detail == (
        "not sent: the link was replaced by a newer one (the request was resent) "
        "before the message could go"
    )


async def test_the_officers_words_are_cut_first_even_when_they_name_the_force(
    pager_platform: tuple[Platform, ModuleType],
) -> None:
    platform, pager = pager_platform
    officer = (
        "This is PC Smith from Kent Police. Please send the dashcam video of the collision "
        "on the A2 you told me about on Tuesday evening, and any photos of the damage to the "
        "vehicles, the road and the other driver's car, or anything else that may help us."
    )
    scene = await make_scene(platform, "kent", message=officer)
    await enable(platform, scene.force_id, "pager", None)

    await run_jobs(platform)

    ((_, _, text),) = pager.received
    lines = text.splitlines()
    assert segment_count(text) <= DEFAULT_MAX_SEGMENTS
    assert lines[0] == "Kent Police is asking you to send photos or videos as evidence."
    assert lines[1].startswith("This is PC Smith from Kent Police.") and lines[1].endswith("...")
    assert lines[2] == f"Upload them securely here: https://exhibit.test/u/{scene.token}"
    assert lines[3].startswith("The link works until ")
    assert lines[4] == "Questions: Call 101 quoting your reference"


async def test_curly_quotes_and_dashes_do_not_cost_the_officers_words(
    pager_platform: tuple[Platform, ModuleType],
) -> None:
    """One typographic apostrophe would send the text as UCS-2: 201 characters in 3 segments."""
    platform, pager = pager_platform
    officer = (
        "Please send the video of the car outside Tesco\u2019s on Tuesday \u2013 the "
        "\u201cblue one\u201d\u00a0\u2026 thanks."
    )
    scene = await make_scene(platform, "kent", message=officer)
    await enable(platform, scene.force_id, "pager", None)

    await run_jobs(platform)

    ((_, _, text),) = pager.received
    assert text.isascii()
    assert segment_count(text) <= DEFAULT_MAX_SEGMENTS
    assert text.splitlines()[1] == (
        'Please send the video of the car outside Tesco\'s on Tuesday - the "blue one" ... thanks.'
    )
    assert text.splitlines()[3].startswith("The link works until ")
