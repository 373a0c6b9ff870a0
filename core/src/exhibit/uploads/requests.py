"""Evidence requests: an officer asks a witness for evidence, and manages the link afterwards.

Every change is audited in the same transaction, and every message to the witness is queued
as a job in that transaction too, so a request is never created without its message nor a
message sent for a request that was rolled back. Nothing here commits.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.cases.models import Case, CaseStatus
from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.i18n import translate
from exhibit.notifications.languages import (
    essentials,
    force_name,
    force_names,
    joined,
    message_date,
    message_languages,
    question_lines,
)
from exhibit.notifications.service import MessageContent, queue_message
from exhibit.secrets import SecretBox
from exhibit.uploads.contacts import normalise_email, normalise_mobile
from exhibit.uploads.links import link_url, new_link_token
from exhibit.uploads.models import EvidenceRequest, RequestState

MAX_EXPIRY_DAYS = 90
MAX_FILES = 500
MAX_RECIPIENT_NAME = 200
MAX_INCIDENT_PLACE = 300
MAX_REASON = 2000
CLOSED_STATES = {RequestState.SUBMITTED, RequestState.EXPIRED, RequestState.REVOKED}


class RequestClosed(ValueError):
    """The request is submitted, expired or revoked, so the action no longer applies."""


class CaseClosed(ValueError):
    """The case is closed, so no witness may be sent a link for it until it is reopened."""


@dataclass(frozen=True)
class NewRequest:
    """What an officer gives to ask for evidence; limits default to the force's."""

    recipient_name: str
    channels: tuple[str, ...]
    phone: str | None = None
    email: str | None = None
    message: str = ""
    incident_at: datetime | None = None
    incident_place: str = ""
    max_files: int | None = None
    max_file_bytes: int | None = None
    expires_in_days: int | None = None


async def create_request(
    session: AsyncSession,
    box: SecretBox,
    force: Force,
    case: Case,
    new: NewRequest,
    *,
    officer_id: int | None,
    actor: str,
    public_url: str,
) -> tuple[EvidenceRequest, str]:
    """Create the request and its link, queue the message; return the request and token.

    The token is returned for the caller's own use (tests, the outbox) and is stored
    nowhere but inside the encrypted message.
    """
    await _require_case_open(session, case)
    if not new.recipient_name.strip():
        raise ValueError("the recipient's name is required")
    _at_most("the recipient's name", new.recipient_name.strip(), MAX_RECIPIENT_NAME)
    _at_most("the place of the incident", new.incident_place.strip(), MAX_INCIDENT_PLACE)
    incident_at = _incident_time(new.incident_at)
    channels = _channels(new)
    phone = normalise_mobile(new.phone) if new.phone else None
    email = normalise_email(new.email) if new.email else None
    max_files = _within("max_files", new.max_files, force.default_max_files, 1, MAX_FILES)
    max_bytes = _within(
        "max_file_bytes", new.max_file_bytes, force.default_max_file_bytes, 1, 1024**4
    )
    days = _within(
        "expires_in_days", new.expires_in_days, force.default_expiry_days, 1, MAX_EXPIRY_DAYS
    )
    token, token_hash = new_link_token()
    request = EvidenceRequest(
        force_id=force.id,
        case_id=case.id,
        officer_id=officer_id,
        recipient_name=new.recipient_name.strip(),
        recipient_phone=phone,
        recipient_email=email,
        channels=list(channels),
        message=new.message.strip(),
        incident_at=incident_at,
        incident_place=new.incident_place.strip(),
        token_hash=token_hash,
        max_files=max_files,
        max_file_bytes=max_bytes,
        expires_at=utcnow() + timedelta(days=days),
        state=RequestState.CREATED,
    )
    session.add(request)
    await session.flush()
    await audit.record(
        session,
        force.id,
        actor=actor,
        action="request.created",
        object_type="request",
        object_id=request.id,
        details={"case_id": case.id, "channels": list(channels), "expires_in_days": days},
    )
    await _send_link(session, box, force, request, token, public_url)
    return request, token


async def resend_request(
    session: AsyncSession,
    box: SecretBox,
    force: Force,
    request: EvidenceRequest,
    *,
    actor: str,
    public_url: str,
) -> str:
    """Send the link again. Only the token's hash is kept, so this issues a new link and the
    old one stops working at once. Returns the new token.

    Refused (``RequestClosed``) once the witness's contact details were erased
    (``notifications.purge``): there is nobody to send it to.
    """
    _require_open(request)
    if any(_recipient(request, channel) is None for channel in request.channels):
        raise RequestClosed(
            "the witness's contact details were erased when the request closed; "
            "create a new request instead"
        )
    await _require_case_open(session, await _case_of(session, request))
    token, request.token_hash = new_link_token()
    await audit.record(
        session,
        force.id,
        actor=actor,
        action="request.resent",
        object_type="request",
        object_id=request.id,
        details={"previous_link": "invalidated"},
    )
    await _send_link(session, box, force, request, token, public_url)
    return token


async def extend_request(
    session: AsyncSession, request: EvidenceRequest, *, days: int, actor: str
) -> None:
    """Push the expiry ``days`` further from now (a request that already expired reopens)."""
    if request.state in (RequestState.SUBMITTED, RequestState.REVOKED):
        raise RequestClosed(f"a {request.state.value} request cannot be extended")
    await _require_case_open(session, await _case_of(session, request))
    days = _within("days", days, days, 1, MAX_EXPIRY_DAYS)
    previous = request.expires_at
    request.expires_at = utcnow() + timedelta(days=days)
    if request.state == RequestState.EXPIRED:
        request.state = RequestState.SENT
    await audit.record(
        session,
        request.force_id,
        actor=actor,
        action="request.extended",
        object_type="request",
        object_id=request.id,
        details={"from": previous.isoformat(), "to": request.expires_at.isoformat()},
    )


async def revoke_request(
    session: AsyncSession, request: EvidenceRequest, *, reason: str, actor: str
) -> None:
    """Stop the link working at once; uploads in progress can no longer continue."""
    if request.state == RequestState.REVOKED:
        return
    if not reason.strip():
        raise ValueError("a reason is required to revoke a request")
    _at_most("a reason", reason.strip(), MAX_REASON)
    request.state = RequestState.REVOKED
    request.revoked_at = utcnow()
    await audit.record(
        session,
        request.force_id,
        actor=actor,
        action="request.revoked",
        object_type="request",
        object_id=request.id,
        reason=reason.strip(),
    )


async def _require_case_open(session: AsyncSession, case: Case) -> None:
    # The force's row is locked first (as the audit event would lock it anyway), and closing
    # a case takes the same lock: the status read here is therefore the latest committed one,
    # and no link goes out on a case that another officer closed a moment ago.
    await session.execute(select(Force.id).where(Force.id == case.force_id).with_for_update())
    status = await session.scalar(select(Case.status).where(Case.id == case.id))
    if status != CaseStatus.OPEN:
        raise CaseClosed(
            f"case {case.reference} is closed: reopen it to ask a witness for evidence"
        )


async def _case_of(session: AsyncSession, request: EvidenceRequest) -> Case:
    case = await session.get(Case, request.case_id)
    assert case is not None  # a request's case is never deleted (foreign key)
    return case


def _require_open(request: EvidenceRequest) -> None:
    if request.state in CLOSED_STATES or request.expires_at <= utcnow():
        raise RequestClosed(f"the request is {request.state.value}; create a new one instead")


def _channels(new: NewRequest) -> tuple[str, ...]:
    channels = tuple(dict.fromkeys(new.channels))
    if not channels:
        raise ValueError("choose at least one channel: sms or email")
    for channel in channels:
        if channel == "sms" and not new.phone:
            raise ValueError("a mobile number is needed to send by sms")
        if channel == "email" and not new.email:
            raise ValueError("an email address is needed to send by email")
        if channel not in ("sms", "email"):
            raise ValueError(f"unknown channel {channel!r}")
    return channels


def _at_most(what: str, text: str, limit: int) -> None:
    """Refuse ``text`` longer than its column holds (PostgreSQL would refuse the row)."""
    if len(text) > limit:
        raise ValueError(f"{what} is at most {limit:,} characters")


def _incident_time(moment: datetime | None) -> datetime | None:
    """The incident's time in UTC; it must name its time zone and be a time we can store."""
    if moment is None:
        return None
    if moment.utcoffset() is None:
        raise ValueError("the incident's time must include a time zone, e.g. +00:00")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the incident's time is not a real time") from None


def _within(name: str, value: int | None, default: int, low: int, high: int) -> int:
    chosen = default if value is None else value
    if not low <= chosen <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return chosen


async def _send_link(
    session: AsyncSession,
    box: SecretBox,
    force: Force,
    request: EvidenceRequest,
    token: str,
    public_url: str,
) -> None:
    content = link_message(force, request, link_url(public_url, token))
    for channel in request.channels:
        recipient = _recipient(request, channel)
        assert recipient is not None
        await queue_message(
            session,
            box,
            force.id,
            channel=channel,
            recipient=recipient,
            content=content,
            purpose="upload_link",
            request_id=request.id,
        )


def _recipient(request: EvidenceRequest, channel: str) -> str | None:
    return request.recipient_phone if channel == "sms" else request.recipient_email


def link_message(force: Force, request: EvidenceRequest, url: str) -> MessageContent:
    """The message that carries the link: the force, the officer's words, the link, contact.

    In Welsh and English, Welsh first, where the force offers Welsh (the officer's words
    once, as written). A text message over its budget then drops the officer's words and
    the contact details before the force, the link and the expiry in either language.
    """
    languages = message_languages(force)
    lines = [
        translate(lang, "link_message_intro", force=force_name(force, lang)) for lang in languages
    ]
    if request.message:
        lines.append(request.message)
    lines.append(f"{joined(languages, 'link_message_upload')}: {url}")
    expiry = [
        translate(lang, "link_message_expires", when=message_date(request.expires_at, lang))
        for lang in languages
    ]
    lines += expiry
    lines += question_lines(force, languages)
    return MessageContent(
        subject=f"{force_names(force, languages)}: {joined(languages, 'link_message_subject')}",
        body="\n".join(lines),
        link=url,
        languages=languages,
        essentials=essentials(force, languages, expiry),
    )
