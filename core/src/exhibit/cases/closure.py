"""Closing a case and reopening it.

A closed case takes no more evidence: no witness can be sent a link for it, and links still
open are revoked as part of closing, with the closing reason, but only those the officer was
shown and confirmed (``revoking``), never one sent since. Evidence already received stays as
it is: it can still be reviewed, shared and disposed of. Reopening lets officers ask for
evidence again; revoked links stay revoked.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.audit.models import AuditEvent
from exhibit.cases.models import Case, CaseStatus
from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.uploads.models import EvidenceRequest
from exhibit.uploads.requests import CLOSED_STATES, revoke_request

# Short enough that "Case <reference> closed: <reason>" fits a revocation's audit reason.
MAX_REASON = 1000
CLOSED = "case.closed"
REOPENED = "case.reopened"


class CaseStatusUnchanged(ValueError):
    """The case is already closed (or already open)."""


class OpenLinksChanged(ValueError):
    """The case has a different number of open links from the number the caller confirmed."""

    def __init__(self, case: Case, count: int) -> None:
        super().__init__(
            f"case {case.reference} has {count} evidence link{'s' if count != 1 else ''} "
            "still open; closing revokes them, so confirm that number to go ahead"
        )
        self.count = count


@dataclass(frozen=True)
class StatusChange:
    """The latest closing or reopening of a case, as the audit log has it."""

    closed: bool
    occurred_at: datetime
    actor: str
    reason: str


async def open_links(session: AsyncSession, case_id: int) -> list[EvidenceRequest]:
    """The case's requests whose links a witness can still use, oldest first."""
    return list(
        await session.scalars(
            select(EvidenceRequest)
            .where(
                EvidenceRequest.case_id == case_id,
                EvidenceRequest.state.not_in(CLOSED_STATES),
                EvidenceRequest.expires_at > utcnow(),
            )
            .order_by(EvidenceRequest.id)
        )
    )


async def close_case(
    session: AsyncSession, case: Case, *, reason: str, revoking: int, actor: str
) -> list[EvidenceRequest]:
    """Close the case with a reason, revoking its open links with that reason, all audited;
    return the revoked requests. Not committed here.

    ``revoking`` is the number of open links the caller showed and had confirmed: if the
    case has another number now (a link was sent or used up meanwhile), nothing changes and
    ``OpenLinksChanged`` says how many there are.
    """
    reason = _required(reason, "close")
    # The same lock as sending a link takes: a link is either counted here or refused there.
    await session.execute(select(Force.id).where(Force.id == case.force_id).with_for_update())
    await session.refresh(case, ["status"])
    if case.status == CaseStatus.CLOSED:
        raise CaseStatusUnchanged(f"case {case.reference} is already closed")
    links = await open_links(session, case.id)
    if len(links) != revoking:
        raise OpenLinksChanged(case, len(links))
    for link in links:
        await revoke_request(
            session, link, reason=f"Case {case.reference} closed: {reason}", actor=actor
        )
    case.status = CaseStatus.CLOSED
    await audit.record(
        session,
        case.force_id,
        actor=actor,
        action=CLOSED,
        object_type="case",
        object_id=case.id,
        reason=reason,
        details={"reference": case.reference, "revoked_requests": [r.id for r in links]},
    )
    return links


async def reopen_case(session: AsyncSession, case: Case, *, reason: str, actor: str) -> None:
    """Reopen a closed case with a reason, audited, so that evidence can be asked for again.
    Links revoked when it closed stay revoked. Not committed here."""
    reason = _required(reason, "reopen")
    await session.execute(select(Force.id).where(Force.id == case.force_id).with_for_update())
    await session.refresh(case, ["status"])
    if case.status == CaseStatus.OPEN:
        raise CaseStatusUnchanged(f"case {case.reference} is already open")
    case.status = CaseStatus.OPEN
    await audit.record(
        session,
        case.force_id,
        actor=actor,
        action=REOPENED,
        object_type="case",
        object_id=case.id,
        reason=reason,
        details={"reference": case.reference},
    )


async def last_status_change(session: AsyncSession, case_id: int) -> StatusChange | None:
    """When, by whom and why the case was last closed or reopened; None if it never was."""
    event = await session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action.in_((CLOSED, REOPENED)),
            AuditEvent.object_type == "case",
            AuditEvent.object_id == str(case_id),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    if event is None:
        return None
    return StatusChange(event.action == CLOSED, event.occurred_at, event.actor, event.reason)


def _required(reason: str, doing: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValueError(f"a reason is required to {doing} a case")
    if len(reason) > MAX_REASON:
        raise ValueError(f"a reason is at most {MAX_REASON} characters")
    return reason
