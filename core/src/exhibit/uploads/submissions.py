"""Submissions: the files a witness sends through one link, closed with an optional statement."""

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.models import Force
from exhibit.forces.transaction import ForceTransaction
from exhibit.i18n import ENGLISH, LANGUAGES, translate
from exhibit.notifications.languages import force_name, question_lines
from exhibit.notifications.service import MessageContent, queue_message
from exhibit.plugins.context import ItemInfo, SubmissionInfo
from exhibit.secrets import SecretBox
from exhibit.uploads.models import EvidenceRequest, RequestState, Submission, Upload

# No 0/O or 1/I: a witness may read the reference out over the phone.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_STATEMENT_LENGTH = 5000


class NothingToSubmit(ValueError):
    """The witness tried to finish before any file arrived, or while one is still uploading."""


def new_reference() -> str:
    """A submission reference such as ``EXH-7K3M-Q9PX``."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"EXH-{chars[:4]}-{chars[4:]}"


async def open_submission(session: AsyncSession, request: EvidenceRequest) -> Submission:
    """The request's submission in progress, started now if there is none. Not committed."""
    submission = await session.scalar(
        select(Submission).where(
            Submission.request_id == request.id, Submission.completed_at.is_(None)
        )
    )
    if submission is None:
        submission = Submission(
            force_id=request.force_id, request_id=request.id, reference=new_reference()
        )
        session.add(submission)
        await session.flush()
    return submission


async def complete_submission(
    tx: ForceTransaction,
    box: SecretBox,
    request: EvidenceRequest,
    *,
    statement: str,
    language: str = ENGLISH,
) -> Submission:
    """Close the submission: record the statement, mark the request submitted, send a receipt.

    The receipt goes through the request's channels and lists each file's name, size and
    SHA-256 as stored, with the submission reference, in ``language`` (``en`` or ``cy``:
    the page the witness sent from). The submission-completed event is sent to the force's
    plugins after the commit.
    """
    session = tx.session
    statement = statement.strip()
    if len(statement) > MAX_STATEMENT_LENGTH:
        raise ValueError(f"the statement is limited to {MAX_STATEMENT_LENGTH} characters")
    submission = await open_submission(session, request)
    unfinished = await session.scalar(
        select(Upload.id).where(
            Upload.submission_id == submission.id,
            Upload.completed_at.is_(None),
            Upload.terminated_at.is_(None),
        )
    )
    items = (
        await session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.submission_id == submission.id)
            .order_by(EvidenceItem.id)
        )
    ).all()
    if unfinished is not None:
        raise NothingToSubmit("a file is still uploading; wait for it or remove it")
    if not items:
        raise NothingToSubmit("add at least one file before you send")

    submission.statement = statement
    submission.language = language if language in LANGUAGES else ENGLISH
    submission.completed_at = utcnow()
    request.state = RequestState.SUBMITTED
    request.submitted_at = submission.completed_at
    await audit.record(
        session,
        request.force_id,
        actor=f"witness:request:{request.id}",
        action="submission.completed",
        object_type="submission",
        object_id=submission.id,
        details={"reference": submission.reference, "items": [i.id for i in items]},
    )
    force = await session.get(Force, request.force_id)
    assert force is not None
    receipt = receipt_message(force, submission, items)
    for channel in request.channels:
        recipient = request.recipient_phone if channel == "sms" else request.recipient_email
        if recipient:
            await queue_message(
                session,
                box,
                request.force_id,
                channel=channel,
                recipient=recipient,
                content=receipt,
                purpose="receipt",
                request_id=request.id,
            )
    tx.emit(
        "exhibit_submission_completed",
        submission=SubmissionInfo(
            id=submission.id,
            request_id=request.id,
            reference=submission.reference,
            completed_at=submission.completed_at,
        ),
        items=[item_info(i) for i in items],
    )
    return submission


def receipt_message(
    force: Force, submission: Submission, items: Sequence[EvidenceItem]
) -> MessageContent:
    """The witness's receipt: reference, then each file's name, size and SHA-256.

    In the language the witness sent in, with the force's contact details in that language.
    """
    lang = submission.language
    named = {"force": force_name(force, lang), "reference": submission.reference}
    lines = [translate(lang, "receipt_message_intro", **named), ""]
    for item in items:
        lines.append(f"{item.original_filename} ({translate(lang, 'size_exact', count=item.size)})")
        lines.append(f"SHA-256: {item.sha256}")
    questions = question_lines(force, [lang])
    if questions:
        lines += ["", *questions]
    return MessageContent(
        subject=translate(lang, "receipt_message_subject", **named),
        body="\n".join(lines),
        languages=(lang,),
        when_cut=translate(lang, "receipt_message_cut", reference=submission.reference),
    )


def item_info(item: EvidenceItem) -> ItemInfo:
    """The snapshot of an item that plugins receive."""
    return ItemInfo(
        id=item.id,
        case_id=item.case_id,
        submission_id=item.submission_id,
        original_filename=item.original_filename,
        size=item.size,
        sha256=item.sha256,
        sniffed_type=item.sniffed_type,
        review_state=item.review_state.value,
        exhibit_reference=item.exhibit_reference,
        received_at=item.received_at,
    )
