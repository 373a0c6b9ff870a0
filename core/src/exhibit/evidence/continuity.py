"""Continuity histories: every step from receipt to now, and who took it, for one item
(``continuity``) or a whole case (``case_continuity``).

Built from the force's audit log (receipt, views, downloads, decisions, disposal; and what
happened to each share holding the item: bundles exported, delivered, viewed or downloaded
by the recipient, revoked), the items' derivatives (with their provenance) and their shares,
oldest first. A case's history adds the case's own events and those of its requests (link
sent, opened, resent, revoked), their messages, submissions and uploads. Actors are named:
``user:<id>`` becomes the user's name and role, ``witness:request:<id>`` the witness the
request was sent to, ``partner:<id>`` the partner's address.

The audit events of a set of objects are read with one query per kind of object
(``events_about``), whatever the number of objects: each kind's ids come as a subquery.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from exhibit.accounts.models import User
from exhibit.audit.models import AuditEvent
from exhibit.cases.models import Case
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.notifications.models import Notification
from exhibit.sharing.models import PartnerAccount, Share, ShareItem
from exhibit.uploads.models import EvidenceRequest, Submission, Upload

ACTION_LABELS = {
    "evidence.received": "Received",
    "evidence.quarantined": "Quarantined",
    "item.quarantine_released": "Released from quarantine into review",
    "item.viewed": "Viewed (item page)",
    "item.previewed": "Preview opened",
    "item.downloaded": "Downloaded",
    "item.accepted": "Accepted as an exhibit",
    "item.declined": "Declined",
    "item.tagged": "Tags changed",
    "item.categorised": "Categorised",
    "item.marked_sensitive": "Marked sensitive / do not disclose",
    "item.sensitive_cleared": "Sensitive mark cleared",
    "item.disposal_requested": "Disposal requested",
    "item.disposal_refused": "Disposal refused",
    "item.disposed": "Disposed of (stored bytes destroyed)",
    "item.continuity_viewed": "Continuity history viewed",
    "case.opened": "Case opened",
    "case.details_changed": "Case reference or title changed",
    "case.closed": "Case closed",
    "case.reopened": "Case reopened",
    "case.continuity_viewed": "Case continuity history viewed",
    "request.created": "Evidence request made (link sent)",
    "request.opened": "Link opened by the witness",
    "request.resent": "Link sent again",
    "request.reminded": "Reminder sent",
    "request.extended": "Link extended",
    "request.expired": "Link expired",
    "request.revoked": "Link revoked",
    "request.contacts_purged": "Witness's contact details removed",
    "submission.completed": "Submission completed by the witness",
    "share.created": "Share made",
    "redaction.requested": "Redaction requested",
    "item.processing_requested": "Processing requested",
    "upload.started": "Upload started by the witness",
    "upload.terminated": "Upload cancelled by the witness",
    "upload.expired": "Unfinished upload expired",
    "notification.failed": "Message to the witness failed",
    "notification.fallback": "Message sent through another channel instead",
    "evidence.metadata_extracted": "Capture metadata read",
    "derivative.created": "Derivative made",
    "media.processed": "Media processed",
    "media.processing_failed": "Media processing failed",
    "item.shared": "Shared",
    "item.integrity_failed": "Stored copy no longer matches its SHA-256",
    "share.bundle_exported": "Share bundle exported",
    "share.bundle_export_failed": "Share bundle export failed (nothing given out)",
    "share.delivered": "Share delivered",
    "share.delivery_failed": "Share delivery failed",
    "share.delivery_withdrawn": "Share delivery withdrawn (revoked first, nothing sent)",
    "share.viewed": "Share viewed by its recipient",
    "share.downloaded": "Share downloaded by its recipient",
    "share.revoked": "Share revoked",
}


@dataclass(frozen=True)
class Step:
    """One line of the history."""

    at: datetime
    action: str
    label: str
    actor: str
    who: str
    reason: str
    detail: str
    audit_seq: int | None
    audit_hash: str
    source_id: int | None = None
    """For a step read from the derivative or share table: that row's id."""
    share_id: int | None = None
    """For a step of one of the item's shares (made, exported, delivered, opened, revoked):
    that share, so that a partner is shown only their own share's steps."""
    object_type: str = ""
    """What the step is about, as the audit log names it (``item``, ``request``, ...)."""
    object_id: str = ""

    @property
    def concerns(self) -> str:
        """The object the step is about, as the audit search takes it (``item:12``)."""
        return f"{self.object_type}:{self.object_id}"


IdQuery = Select[int]
"""A query selecting the ids of some objects of one kind (e.g. the items of a case)."""


async def continuity(session: AsyncSession, item: EvidenceItem) -> list[Step]:
    """The item's history, oldest first (``session`` is scoped to the item's force)."""
    items = select(EvidenceItem.id).where(EvidenceItem.id == item.id)
    shares = select(ShareItem.share_id).where(ShareItem.item_id == item.id)
    events = [
        e
        for e in await events_about(session, {"item": items, "share": shares})
        if _concerns(e, item.id)
    ]
    return await _steps(session, events, items)


async def case_continuity(session: AsyncSession, case_id: int) -> list[Step]:
    """The history of case ``case_id`` and of everything on it, oldest first: the case, its
    requests (with their messages, submissions and uploads), its items (with their
    derivatives and disposal) and its shares (``session`` is scoped to the case's force)."""
    return await _steps(
        session, await events_about(session, case_objects(case_id)), case_items(case_id)
    )


def case_items(case_id: int) -> IdQuery:
    """The ids of the case's items."""
    return select(EvidenceItem.id).where(EvidenceItem.case_id == case_id)


def case_objects(case_id: int) -> dict[str, IdQuery]:
    """Everything on case ``case_id`` that the audit log records events of, by kind."""
    requests = select(EvidenceRequest.id).where(EvidenceRequest.case_id == case_id)
    return {
        "case": select(Case.id).where(Case.id == case_id),
        "request": requests,
        "notification": select(Notification.id).where(Notification.request_id.in_(requests)),
        "submission": select(Submission.id).where(Submission.request_id.in_(requests)),
        "upload": select(Upload.id).where(Upload.request_id.in_(requests)),
        "item": case_items(case_id),
        "share": select(Share.id).where(Share.case_id == case_id),
    }


EVENT_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.actor,
    AuditEvent.action,
    AuditEvent.object_type,
    AuditEvent.object_id,
    AuditEvent.reason,
    AuditEvent.details,
    AuditEvent.hash,
)
"""What a history shows of an event (columns, not ORM objects: a case has thousands)."""
Event = Row[int, datetime, str, str, str, str, str, dict[str, Any], str]
"""An audit event as ``EVENT_COLUMNS`` read it (``event.seq``, ``event.details``, ...)."""


async def events_about(session: AsyncSession, objects: Mapping[str, IdQuery]) -> list[Event]:
    """The audit events about ``objects`` (kind of object, as the log names it, to a query
    of their ids), in the chain's order: one query per kind, however many objects."""
    events: list[Event] = []
    for kind, ids in objects.items():
        found = ids.subquery()
        events += await session.execute(
            select(*EVENT_COLUMNS).where(
                AuditEvent.object_type == kind,
                AuditEvent.object_id.in_(select(cast(found.c[0], String))),
            )
        )
    return sorted(events, key=lambda e: e.seq)


async def _steps(session: AsyncSession, events: Sequence[Event], items: IdQuery) -> list[Step]:
    """``events`` as steps, with the derivatives and shares of ``items`` that the log does
    not record, oldest first."""
    names = await _actor_names(session, {e.actor for e in events})
    steps = [
        Step(
            at=e.occurred_at,
            action=e.action,
            label=ACTION_LABELS.get(e.action, e.action),
            actor=e.actor,
            who=names.get(e.actor, e.actor),
            reason=e.reason,
            detail=_event_detail(e),
            audit_seq=e.seq,
            audit_hash=e.hash,
            share_id=int(e.object_id) if e.object_type == "share" else None,
            object_type=e.object_type,
            object_id=e.object_id,
        )
        for e in events
    ]
    # Derivatives and shares made by code that audits them are already in the log; those
    # recorded only in their own tables (older rows, other writers) are added from there.
    logged_derivatives = {e.details.get("derivative") for e in events}
    logged_shares = {
        (e.details.get("share_id"), int(e.object_id)) for e in events if e.action == "item.shared"
    }
    steps += [
        s for s in await _derivative_steps(session, items) if s.source_id not in logged_derivatives
    ]
    steps += [
        s
        for s in await _share_steps(session, items)
        if (s.source_id, int(s.object_id)) not in logged_shares
    ]
    return sorted(steps, key=lambda s: (s.at, s.audit_seq or 0))


def _concerns(event: Event, item_id: int) -> bool:
    """Whether a share's event belongs in the item's history.

    Not its creation (the item's own ``item.shared`` event says it, with the copy and the
    reason), nor an event about another item of the share (``details.item_id``).
    """
    if event.object_type != "share":
        return True
    if event.action == "share.created":
        return False
    named = event.details.get("item_id")
    return named is None or named == item_id


async def _derivative_steps(session: AsyncSession, items: IdQuery) -> list[Step]:
    derivatives = await session.execute(
        select(
            Derivative.id,
            Derivative.item_id,
            Derivative.created_at,
            Derivative.kind,
            Derivative.processor,
            Derivative.tool,
            Derivative.tool_version,
            Derivative.reason,
            Derivative.parameters,
            Derivative.input_sha256,
            Derivative.output_sha256,
        )
        .where(Derivative.item_id.in_(items))
        .order_by(Derivative.id)
    )
    return [
        Step(
            at=d.created_at,
            action="derivative.created",
            label=f"Derivative made: {d.kind}",
            actor=f"plugin:{d.processor}",
            who=f"{d.tool} {d.tool_version} ({d.processor})",
            reason=d.reason,
            detail=_detail(
                {
                    "parameters": d.parameters,
                    "input_sha256": d.input_sha256,
                    "output_sha256": d.output_sha256,
                }
            ),
            audit_seq=None,
            audit_hash="",
            source_id=d.id,
            object_type="item",
            object_id=str(d.item_id),
        )
        for d in derivatives
    ]


async def _share_steps(session: AsyncSession, items: IdQuery) -> list[Step]:
    rows = (
        await session.execute(
            select(Share, ShareItem)
            .join(ShareItem, ShareItem.share_id == Share.id)
            .where(ShareItem.item_id.in_(items))
            .order_by(ShareItem.id)
        )
    ).all()
    who = await _actor_names(session, {f"user:{share.created_by}" for share, _ in rows})
    return [
        Step(
            at=share.created_at,
            action="share.created",
            label=f"Shared through {share.target}",
            actor=f"user:{share.created_by}",
            who=who.get(f"user:{share.created_by}", "unknown"),
            reason=shared.original_reason,
            detail=f"recipient={share.recipient}"
            + (f"; derivative={shared.derivative_id}" if shared.derivative_id else ""),
            audit_seq=None,
            audit_hash="",
            source_id=share.id,
            share_id=share.id,
            object_type="item",
            object_id=str(shared.item_id),
        )
        for share, shared in rows
    ]


async def _actor_names(session: AsyncSession, actors: set[str]) -> dict[str, str]:
    users = await session.scalars(select(User).where(User.id.in_(_ids(actors, "user:"))))
    names = {f"user:{u.id}": f"{u.name} ({u.role.value.replace('_', ' ')})" for u in users}
    requests = await session.execute(
        select(EvidenceRequest.id, EvidenceRequest.recipient_name).where(
            EvidenceRequest.id.in_(_ids(actors, "witness:request:"))
        )
    )
    for request_id, name in requests:
        names[f"witness:request:{request_id}"] = f"{name} (witness, request {request_id})"
    partners = await session.execute(
        select(PartnerAccount.id, PartnerAccount.email).where(
            PartnerAccount.id.in_(_ids(actors, "partner:"))
        )
    )
    for partner_id, email in partners:
        names[f"partner:{partner_id}"] = f"{email} (partner)"
    return names


def _ids(actors: set[str], prefix: str) -> set[int]:
    """The numbers of the actors written ``<prefix><number>``."""
    return {
        int(a[len(prefix) :]) for a in actors if a.startswith(prefix) and a[len(prefix) :].isdigit()
    }


def _event_detail(event: Event) -> str:
    if event.object_type == "share":
        return _detail({"share": event.object_id, **event.details})
    return _detail(event.details)


def _detail(details: dict[str, object]) -> str:
    return "; ".join(f"{k}={v}" for k, v in details.items() if v not in (None, "", [], {}))
