"""Around delivery: reminders before a link expires, erasing contact details after the
request closes, and what the officer sees on the case page when a message fails."""

from datetime import timedelta

from sqlalchemy import select, update

from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.i18n import MONTHS
from exhibit.jobs.handlers import JobContext
from exhibit.notifications.delivery import fail_permanently
from exhibit.notifications.models import Notification
from exhibit.notifications.outbox_reader import read_outbox
from exhibit.notifications.purge import PURGE_JOB, purge_contacts
from exhibit.notifications.reminders import REMIND_JOB, remind_witnesses
from exhibit.notifications.service import queue_message, unseal
from exhibit.platform import Platform
from exhibit.uploads.arrivals import ARRIVALS_PURPOSE, arrival_message
from exhibit.uploads.models import EvidenceRequest, RequestState
from exhibit.uploads.requests import resend_request
from tests.fixtures.officer import audit_events, browser, sign_in
from tests.fixtures.witness import make_scene
from tests.notifications.helpers import run_jobs


def _job(platform: Platform, kind: str) -> JobContext:
    return JobContext(id=0, kind=kind, force_id=None, payload={}, attempt=1, platform=platform)


async def _set(platform: Platform, model: type, row_id: int, **values: object) -> None:
    async with platform.system_session() as session:
        await session.execute(update(model).where(model.id == row_id).values(**values))  # type: ignore[attr-defined]
        await session.commit()


async def _messages(platform: Platform, force_id: int) -> list[Notification]:
    async with platform.force_session(force_id) as session:
        return list(await session.scalars(select(Notification).order_by(Notification.id)))


async def test_a_reminder_carries_the_same_link_once_inside_the_window(platform: Platform) -> None:
    scene = await make_scene(platform, "kent")
    await run_jobs(platform)
    await _set(platform, Force, scene.force_id, reminder_hours_before=24)
    await _set(
        platform, EvidenceRequest, scene.request_id, expires_at=utcnow() + timedelta(hours=30)
    )

    await remind_witnesses(_job(platform, REMIND_JOB))
    assert [m.purpose for m in await _messages(platform, scene.force_id)] == ["upload_link"]

    await _set(
        platform, EvidenceRequest, scene.request_id, expires_at=utcnow() + timedelta(hours=20)
    )
    await remind_witnesses(_job(platform, REMIND_JOB))
    await remind_witnesses(_job(platform, REMIND_JOB))
    await run_jobs(platform)

    messages = await _messages(platform, scene.force_id)
    assert [m.purpose for m in messages] == ["upload_link", "reminder"]
    assert messages[1].recipient_encrypted is not None
    assert platform.secret_box.decrypt(messages[1].recipient_encrypted) == "+447911123456"
    assert messages[1].body_encrypted is not None
    reminder = unseal(platform.secret_box, messages[1].body_encrypted)
    assert f"/u/{scene.token}" in reminder.body
    assert reminder.body.startswith("Reminder from Kent Police")
    assert "Call 101 quoting your reference" in reminder.body
    assert len(await audit_events(platform, scene.force_id, "request.reminded")) == 1


async def test_a_force_offering_welsh_reminds_in_welsh_then_english(platform: Platform) -> None:
    scene = await make_scene(platform, "kent")
    await run_jobs(platform)
    expires = (utcnow() + timedelta(hours=20)).replace(second=0, microsecond=0)
    await _set(
        platform,
        Force,
        scene.force_id,
        reminder_hours_before=24,
        welsh_enabled=True,
        contact_details_cy="Ffoniwch 101 a rhowch eich cyfeirnod",
    )
    await _set(platform, EvidenceRequest, scene.request_id, expires_at=expires)

    await remind_witnesses(_job(platform, REMIND_JOB))

    reminder = unseal(
        platform.secret_box, (await _messages(platform, scene.force_id))[1].body_encrypted or ""
    )
    day, year, time = f"{expires.day:02d}", expires.year, f"{expires:%H:%M}"
    month_cy, month_en = (MONTHS[lang][expires.month - 1] for lang in ("cy", "en"))
    assert reminder.subject == (
        "Kent Police: nodyn atgoffa i anfon eich tystiolaeth / reminder to send your evidence"
    )
    assert reminder.body.splitlines() == [
        "Nodyn atgoffa gan Kent Police: gallwch anfon lluniau neu fideos fel tystiolaeth o hyd.",
        "Reminder from Kent Police: you can still send photos or videos as evidence.",
        "Llwythwch nhw i fyny'n ddiogel yma / Upload them securely here: "
        f"https://exhibit.test/u/{scene.token}",
        f"Mae'r ddolen yn stopio gweithio ar {day} {month_cy} {year} am {time}. "
        "Cadwch hi'n gyfrinachol.",
        f"The link stops working on {day} {month_en} {year} at {time}. Do not share it.",
        "Cwestiynau: Ffoniwch 101 a rhowch eich cyfeirnod",
        "Questions: Call 101 quoting your reference",
    ]
    assert reminder.essentials == tuple(reminder.body.splitlines()[3:5])


async def test_no_reminder_when_the_force_has_none_or_the_witness_already_sent(
    platform: Platform,
) -> None:
    scene = await make_scene(platform, "kent")
    soon = utcnow() + timedelta(hours=2)
    await _set(platform, EvidenceRequest, scene.request_id, expires_at=soon)

    await remind_witnesses(_job(platform, REMIND_JOB))  # reminders off (the default)
    await _set(platform, Force, scene.force_id, reminder_hours_before=24)
    await _set(platform, EvidenceRequest, scene.request_id, state=RequestState.SUBMITTED)
    await remind_witnesses(_job(platform, REMIND_JOB))

    assert [m.purpose for m in await _messages(platform, scene.force_id)] == ["upload_link"]


async def test_contact_details_are_erased_after_the_forces_keeping_period(
    platform: Platform,
) -> None:
    scene = await make_scene(platform, "kent")
    kept = await make_scene(platform, "essex")
    await run_jobs(platform)
    await _set(platform, Force, scene.force_id, contact_purge_days=7)
    for request_id, days_ago in ((scene.request_id, 8), (kept.request_id, 3)):
        await _set(
            platform,
            EvidenceRequest,
            request_id,
            state=RequestState.SUBMITTED,
            submitted_at=utcnow() - timedelta(days=days_ago),
        )

    await purge_contacts(_job(platform, PURGE_JOB))

    async with platform.system_session() as session:
        purged = await session.get(EvidenceRequest, scene.request_id)
        untouched = await session.get(EvidenceRequest, kept.request_id)
        assert purged is not None and untouched is not None
        assert (purged.recipient_phone, purged.recipient_email) == (None, None)
        assert untouched.recipient_phone == "+447911123456"  # essex keeps 30 days by default
    (message,) = await _messages(platform, scene.force_id)
    assert (message.recipient_encrypted, message.body_encrypted) == (None, None)
    assert message.status.value == "delivered"  # the history stays
    (kept_message,) = await _messages(platform, kept.force_id)
    assert kept_message.recipient_encrypted is not None
    assert len(await audit_events(platform, scene.force_id, "request.contacts_purged")) == 1
    async with force_transaction(platform, scene.force_id) as tx:
        held = await read_outbox(tx, platform.secret_box, user_id=scene.officer_id, via="test")
    assert held == []


async def test_a_live_request_keeps_its_contact_details(platform: Platform) -> None:
    scene = await make_scene(platform, "kent")
    await _set(platform, Force, scene.force_id, contact_purge_days=0)

    await purge_contacts(_job(platform, PURGE_JOB))

    async with platform.system_session() as session:
        request = await session.get(EvidenceRequest, scene.request_id)
        assert request is not None and request.recipient_phone == "+447911123456"


async def test_the_officer_sees_a_failed_message_and_its_history(platform: Platform) -> None:
    scene = await make_scene(platform, "kent")
    await run_jobs(platform)
    (message,) = await _messages(platform, scene.force_id)
    async with platform.force_session(scene.force_id) as session:
        row = await session.get(Notification, message.id)
        assert row is not None
        await fail_permanently(session, row, None, "provider answered 400: invalid number")
        await session.commit()

    async with browser(platform.settings) as client:
        await sign_in(client, "officer@kent.test")
        page = (await client.get(f"/cases/{scene.case_id}")).text

    assert f'id="message-{message.id}-failed"' in page
    assert "The upload link text message could not be delivered" in page
    assert "provider answered 400: invalid number" in page
    assert "queued" in page and "delivered" in page and "failed permanently" in page
    (event,) = await audit_events(platform, scene.force_id, "notification.failed")
    assert event.reason == "provider answered 400: invalid number"


async def test_a_failed_link_resent_since_no_longer_asks_the_officer_to_act(
    platform: Platform,
) -> None:
    scene = await make_scene(platform, "kent")
    await run_jobs(platform)
    (failed,) = await _messages(platform, scene.force_id)
    async with platform.force_session(scene.force_id) as session:
        row = await session.get(Notification, failed.id)
        assert row is not None
        await fail_permanently(session, row, None, "provider answered 400: invalid number")
        await session.commit()
    async with force_transaction(platform, scene.force_id) as tx:
        force = await tx.session.get(Force, scene.force_id)
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert force is not None and request is not None
        await resend_request(
            tx.session,
            platform.secret_box,
            force,
            request,
            actor="test",
            public_url="https://exhibit.test",
        )
    await run_jobs(platform)

    async with browser(platform.settings) as client:
        await sign_in(client, "officer@kent.test")
        page = (await client.get(f"/cases/{scene.case_id}")).text

    assert f'id="message-{failed.id}-failed"' not in page  # the resent link was delivered
    assert "could not be delivered" not in page
    assert "provider answered 400: invalid number" in page  # still in the history


async def test_a_failed_note_to_the_officer_gives_advice_for_the_officer_not_the_witness(
    platform: Platform,
) -> None:
    scene = await make_scene(platform, "kent")
    await run_jobs(platform)
    async with force_transaction(platform, scene.force_id) as tx:
        note = await queue_message(
            tx.session,
            platform.secret_box,
            scene.force_id,
            channel="email",
            recipient="officer@kent.test",
            content=arrival_message(1, 0, scene.request_id, "KENT/123/26", "https://exhibit.test"),
            purpose=ARRIVALS_PURPOSE,
            request_id=scene.request_id,
        )
        await fail_permanently(tx.session, note, None, "mailbox full")

    async with browser(platform.settings) as client:
        await sign_in(client, "officer@kent.test")
        page = (await client.get(f"/cases/{scene.case_id}")).text

    alert = page[page.index(f'id="message-{note.id}-failed"') :].split("</div>", 1)[0]
    assert "mailbox full" in alert
    assert "This was your own note that evidence arrived" in alert
    assert "resend the link" not in alert
