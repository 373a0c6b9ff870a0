"""Reminding a witness before their link expires (a force setting, off by default).

The link itself is never stored, only inside the encrypted message that carried it, so the
reminder takes it from there. One reminder per link: a link sent again after a reminder
gets its own. Like every message, it holds only the force, the link and contact details.
"""

from datetime import timedelta

from sqlalchemy import select

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.i18n import translate
from exhibit.jobs.handlers import JobContext
from exhibit.notifications.languages import (
    essentials,
    force_name,
    force_names,
    joined,
    message_date_time,
    message_languages,
    question_lines,
)
from exhibit.notifications.models import Notification
from exhibit.notifications.service import MessageContent, queue_message, unseal
from exhibit.uploads.models import EvidenceRequest, RequestState

REMIND_JOB = "core.remind_witnesses"
REMINDER_PURPOSE = "reminder"
LINK_PURPOSE = "upload_link"
_WAITING = (RequestState.CREATED, RequestState.SENT, RequestState.OPENED, RequestState.UPLOADING)


def reminder_message(force: Force, request: EvidenceRequest, link: str) -> MessageContent:
    """The reminder: who asks, the link, until when it works, and whom to ask.

    In Welsh and English, Welsh first, where the force offers Welsh, like the link's message.
    """
    languages = message_languages(force)
    lines = [
        translate(lang, "reminder_message_intro", force=force_name(force, lang))
        for lang in languages
    ]
    lines.append(f"{joined(languages, 'link_message_upload')}: {link}")
    expiry = [
        translate(
            lang, "reminder_message_expires", when=message_date_time(request.expires_at, lang)
        )
        for lang in languages
    ]
    lines += expiry
    lines += question_lines(force, languages)
    return MessageContent(
        subject=f"{force_names(force, languages)}: {joined(languages, 'reminder_message_subject')}",
        body="\n".join(lines),
        link=link,
        languages=languages,
        essentials=essentials(force, languages, expiry),
    )


async def remind_witnesses(job: JobContext) -> None:
    """Queue a reminder for each waiting request that is inside its force's reminder window."""
    platform = job.platform
    now = utcnow()
    async with platform.system_session() as session:
        rows = (
            await session.execute(
                select(
                    EvidenceRequest.id,
                    EvidenceRequest.force_id,
                    EvidenceRequest.expires_at,
                    Force.reminder_hours_before,
                )
                .join(Force, Force.id == EvidenceRequest.force_id)
                .where(
                    Force.reminder_hours_before > 0,
                    EvidenceRequest.state.in_(_WAITING),
                    EvidenceRequest.expires_at > now,
                )
            )
        ).all()
    # The window is checked here rather than in SQL: hours-to-interval differs by engine.
    for request_id, force_id, expires_at, hours in rows:
        if expires_at <= now + timedelta(hours=hours):
            await remind(job, request_id, force_id)


async def remind(job: JobContext, request_id: int, force_id: int) -> bool:
    """Queue the reminder for one request unless its current link already had one."""
    platform = job.platform
    async with force_transaction(platform, force_id) as tx:
        session = tx.session
        request = await session.get(EvidenceRequest, request_id, with_for_update=True)
        force = await session.get(Force, force_id)
        if request is None or force is None or request.state not in _WAITING:
            return False
        messages = (
            await session.scalars(
                select(Notification)
                .where(
                    Notification.request_id == request_id,
                    Notification.purpose.in_([LINK_PURPOSE, REMINDER_PURPOSE]),
                )
                .order_by(Notification.id.desc())
            )
        ).all()
        latest_link = next((m for m in messages if m.purpose == LINK_PURPOSE), None)
        if messages and messages[0].purpose == REMINDER_PURPOSE:
            return False
        if latest_link is None or latest_link.body_encrypted is None:
            return False
        link = unseal(platform.secret_box, latest_link.body_encrypted).link
        if not link:
            return False
        content = reminder_message(force, request, link)
        for channel in request.channels:
            recipient = request.recipient_phone if channel == "sms" else request.recipient_email
            if recipient:
                await queue_message(
                    session,
                    platform.secret_box,
                    force_id,
                    channel=channel,
                    recipient=recipient,
                    content=content,
                    purpose=REMINDER_PURPOSE,
                    request_id=request_id,
                )
        await audit.record(
            session,
            force_id,
            actor="system",
            action="request.reminded",
            object_type="request",
            object_id=request_id,
            details={"channels": list(request.channels)},
        )
        return True
