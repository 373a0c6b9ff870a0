"""A message whose delivery job ended without an outcome is not left "sending" for ever.

The case: a worker takes the link message's delivery job for its last attempt and dies
before recording anything. The queue gives the job up once its lease runs out; the
message must then be recorded as failed, so that the officer is asked to act.
"""

from datetime import timedelta

from sqlalchemy import select, update

from exhibit.jobs.models import Job, JobStatus
from exhibit.jobs.queue import claim
from exhibit.jobs.worker import Worker
from exhibit.notifications.delivery import set_status
from exhibit.notifications.models import DeliveryStatus, Notification
from exhibit.notifications.service import DELIVER_JOB
from exhibit.notifications.stranded import STRANDED_REASON, settle_stranded_messages
from exhibit.platform import Platform
from tests.fixtures.officer import audit_events, browser, sign_in
from tests.fixtures.witness import make_scene


async def _message(platform: Platform, force_id: int) -> Notification:
    async with platform.force_session(force_id) as session:
        (message,) = await session.scalars(select(Notification))
        return message


async def test_a_message_whose_last_attempt_died_with_its_worker_is_recorded_failed(
    platform: Platform,
) -> None:
    scene = await make_scene(platform, "kent")
    message = await _message(platform, scene.force_id)
    assert message.status == DeliveryStatus.QUEUED
    assert await settle_stranded_messages(platform) == 0  # its job is queued: not stranded

    # A worker takes the last attempt, marks the message as being sent, and dies.
    async with platform.system_session() as session:
        await session.execute(update(Job).where(Job.kind == DELIVER_JOB).values(max_attempts=1))
        await session.commit()
    taken = await claim(platform.sessions, "dead-worker", [DELIVER_JOB], timedelta(seconds=-1))
    assert taken is not None
    async with platform.force_session(scene.force_id) as session:
        row = await session.get(Notification, message.id)
        assert row is not None
        set_status(session, row, DeliveryStatus.SENDING, "attempt 1")
        await session.commit()
    assert await settle_stranded_messages(platform) == 0  # still running, as far as we know

    # Another worker finds the lease run out on the last attempt: the queue gives up.
    assert not await Worker(platform).run_once()
    async with platform.system_session() as session:
        job = await session.scalar(select(Job).where(Job.kind == DELIVER_JOB))
        assert job is not None and job.status == JobStatus.FAILED

    assert await settle_stranded_messages(platform) == 1
    assert await settle_stranded_messages(platform) == 0
    settled = await _message(platform, scene.force_id)
    assert settled.status == DeliveryStatus.FAILED_PERMANENTLY
    assert settled.status_detail == STRANDED_REASON
    (event,) = await audit_events(platform, scene.force_id, "notification.failed")
    assert (event.actor, event.reason) == ("system", STRANDED_REASON)

    async with browser(platform.settings) as client:
        await sign_in(client, "officer@kent.test")
        page = (await client.get(f"/cases/{scene.case_id}")).text
    assert f'id="message-{message.id}-failed"' in page
    assert "may not have reached the witness" in page
