"""Continuity histories: every step from receipt to now, and who took it, for one item
(``continuity``) or a whole case, a page at a time (``case_page``).

Built from the force's audit log (receipt, views, downloads, decisions, disposal; and what
happened to each share holding the item: bundles exported, delivered, viewed or downloaded
by the recipient, revoked), the items' derivatives (with their provenance) and their shares.
A case's history adds the case's own events and those of its requests (link sent, opened,
resent, revoked), their messages, submissions and uploads. Actors are named: ``user:<id>``
becomes the user's name and role, ``witness:request:<id>`` the witness the request was sent
to, ``partner:<id>`` the partner's address.

Steps are in the chain's order (``seq``). A derivative or share recorded only in its own
table (older rows) has no place in the chain: it stands before the first event at or after
its time. An item's events are read with one query per kind of object (``events_about``).
A case may have thousands of steps, so a page of its history reads only that page: the ids
of the case's objects are gathered first (``case_objects``), then one query finds the events
about them by object after a sequence number and keeps, in chain order, one more than the
page holds (``case_page``, ``case_page_before``).
"""

from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    String,
    bindparam,
    cast,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import Select, Subquery

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


@dataclass(frozen=True)
class TimeSpan:
    """The times after ``start`` up to and including ``end`` (open where None)."""

    start: datetime | None = None
    end: datetime | None = None

    def holds(self, column: InstrumentedAttribute[datetime]) -> list[ColumnElement[bool]]:
        """The conditions that ``column`` falls in the span."""
        return [
            *([column > self.start] if self.start else []),
            *([column <= self.end] if self.end else []),
        ]


async def continuity(session: AsyncSession, item: EvidenceItem) -> list[Step]:
    """The item's history, oldest first (``session`` is scoped to the item's force)."""
    items = select(EvidenceItem.id).where(EvidenceItem.id == item.id)
    shares = select(ShareItem.share_id).where(ShareItem.item_id == item.id)
    events = [
        e
        for e in await events_about(session, {"item": items, "share": shares})
        if _concerns(e, item.id)
    ]
    table = _unrecorded(await _table_steps(session, items, TimeSpan()), events)
    return _in_chain_order(await _event_steps(session, events), table)


def case_items(case_id: int) -> IdQuery:
    """The ids of the case's items."""
    return select(EvidenceItem.id).where(EvidenceItem.case_id == case_id)


@dataclass(frozen=True)
class CaseObjects:
    """The ids of everything on a case that the audit log records events of, by kind, as
    the log names the kind and writes the id."""

    case_id: int
    ids: dict[str, list[str]]

    def events(self, *where: ColumnElement[bool]) -> Subquery:
        """The audit events about these objects that meet ``where``, in no order: one
        branch per kind, each looked up by the object index."""
        return union_all(
            *(
                select(*EVENT_COLUMNS).where(
                    AuditEvent.object_type == kind,
                    # Written into the statement: a case may have more objects than a
                    # statement may have parameters, and the planner sees the values.
                    AuditEvent.object_id.in_(
                        bindparam(f"{kind}_ids", ids, expanding=True, literal_execute=True)
                    ),
                    *where,
                )
                for kind, ids in self.ids.items()
            )
        ).subquery()


def _unindexed(seq: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[int]:
    """``seq`` as an expression that no index holds.

    Asked for events after a cursor in ``seq`` order, both planners walk the force's
    (force_id, seq) index from the cursor, counting on meeting the case's events soon: when
    few are left (the last page of a case older than the log's head) the walk reads the
    rest of the log. Kept from that index, they find the case's events by object and sort
    those alone.
    """
    return seq + 0


async def case_objects(session: AsyncSession, case_id: int) -> CaseObjects:
    """The case, its requests (with their messages, submissions and uploads), its items and
    its shares: their ids, in one query (``session`` is scoped to the case's force)."""
    requests = select(EvidenceRequest.id).where(EvidenceRequest.case_id == case_id)
    kinds: dict[str, IdQuery] = {
        "case": select(Case.id).where(Case.id == case_id),
        "request": requests,
        "notification": select(Notification.id).where(Notification.request_id.in_(requests)),
        "submission": select(Submission.id).where(Submission.request_id.in_(requests)),
        "upload": select(Upload.id).where(Upload.request_id.in_(requests)),
        "item": case_items(case_id),
        "share": select(Share.id).where(Share.case_id == case_id),
    }
    found: dict[str, list[str]] = {}
    every_id = union_all(
        *(select(literal(kind), ids.subquery().c[0]) for kind, ids in kinds.items())
    )
    for kind, object_id in await session.execute(every_id):
        found.setdefault(kind, []).append(str(object_id))
    return CaseObjects(case_id, found)


@dataclass(frozen=True)
class CasePage:
    """Some steps of a case's history in chain order, and where the pages around them are."""

    steps: list[Step]
    earlier: int | None
    """The page before is ``case_page_before(..., before=earlier)``; None on the first."""
    later: int | None
    """The page after is ``case_page(..., after=later)``; None on the last."""


async def case_page(
    session: AsyncSession, objects: CaseObjects, *, after: int, size: int
) -> CasePage:
    """The case's ``size`` audit events after the force's event ``after`` (0: from the
    start), with the table-only steps among them (on the last page: and after them)."""
    found = objects.events(_unindexed(AuditEvent.seq) > after)
    rows: Sequence[Event] = (
        await session.execute(select(found).order_by(_unindexed(found.c.seq)).limit(size + 1))
    ).all()
    events, more = rows[:size], len(rows) > size
    since = await _time_of(session, after) if after else None
    if after and since is None:
        return CasePage([], earlier=None, later=None)  # past the force's last event
    span = TimeSpan(since, events[-1].occurred_at if more else None)
    first = events[0].seq if events else after + 1
    return CasePage(
        await _case_steps(session, objects, events, span),
        earlier=first if after else None,
        later=events[-1].seq if more else None,
    )


async def case_page_before(
    session: AsyncSession, objects: CaseObjects, *, before: int, size: int
) -> CasePage:
    """The case's ``size`` audit events before the force's event ``before``, with the
    table-only steps among them; the first page when no more than ``size`` are left."""
    found = objects.events(_unindexed(AuditEvent.seq) < before)
    rows: Sequence[Event] = (
        await session.execute(
            select(found).order_by(_unindexed(found.c.seq).desc()).limit(size + 1)
        )
    ).all()
    if len(rows) <= size:
        return await case_page(session, objects, after=0, size=size)
    events = rows[size - 1 :: -1]
    span = TimeSpan(rows[size].occurred_at, events[-1].occurred_at)
    return CasePage(
        await _case_steps(session, objects, events, span),
        earlier=events[0].seq,
        later=events[-1].seq,
    )


async def case_event_seq(session: AsyncSession, objects: CaseObjects, position: int) -> int | None:
    """The sequence number of the case's ``position``-th audit event (from 1), if it has
    that many. It sorts all the case's events: it serves old links to numbered pages."""
    found = objects.events()
    return await session.scalar(
        select(found.c.seq).order_by(_unindexed(found.c.seq)).offset(position - 1).limit(1)
    )


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


async def _time_of(session: AsyncSession, seq: int) -> datetime | None:
    """When the force's audit event ``seq`` happened; None if it has none so numbered."""
    return await session.scalar(select(AuditEvent.occurred_at).where(AuditEvent.seq == seq))


async def _case_steps(
    session: AsyncSession, objects: CaseObjects, events: Sequence[Event], span: TimeSpan
) -> list[Step]:
    """``events`` as steps, with the case's table-only steps made in ``span`` among them."""
    table = _unrecorded(await _table_steps(session, case_items(objects.case_id), span), events)
    if table:
        # An event on another page may record them (a derivative's own comes just after it).
        about_their_items = await session.execute(
            select(*EVENT_COLUMNS).where(
                AuditEvent.object_type == "item",
                AuditEvent.object_id.in_({step.object_id for step in table}),
            )
        )
        table = _unrecorded(table, about_their_items.all())
    return _in_chain_order(await _event_steps(session, events), table)


async def _event_steps(session: AsyncSession, events: Sequence[Event]) -> list[Step]:
    names = await _actor_names(session, {e.actor for e in events})
    return [
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


async def _table_steps(session: AsyncSession, items: IdQuery, span: TimeSpan) -> list[Step]:
    """The derivatives and shares of ``items`` made in ``span``, as their own tables record
    them: derivatives first, each kind in the order made."""
    return [
        *await _derivative_steps(session, items, span),
        *await _share_steps(session, items, span),
    ]


def _unrecorded(table: Sequence[Step], events: Sequence[Event]) -> list[Step]:
    """The steps of ``table`` that none of ``events`` records.

    Derivatives and shares made by code that audits them are already in the log; those
    recorded only in their own tables (older rows, other writers) are shown from there.
    Only the event of a derivative's making records it: a preview or download names the
    derivative it served too.
    """
    recorded: set[tuple[str, object, str]] = set()
    for e in events:
        if e.action == "derivative.created":
            recorded.add(("derivative.created", e.details.get("derivative"), ""))
        if e.action == "item.shared":
            recorded.add(("share.created", e.details.get("share_id"), e.object_id))
    return [step for step in table if _recorded_as(step) not in recorded]


def _recorded_as(step: Step) -> tuple[str, object, str]:
    """How an event records a table-only step: its derivative, or its share and item."""
    shared_item = step.object_id if step.action == "share.created" else ""
    return (step.action, step.source_id, shared_item)


def _in_chain_order(events: Sequence[Step], table: Collection[Step]) -> list[Step]:
    """``events`` (in chain order) with each table-only step before the first event at or
    after its time."""
    waiting = deque(sorted(table, key=lambda s: s.at))
    merged: list[Step] = []
    for step in events:
        while waiting and waiting[0].at <= step.at:
            merged.append(waiting.popleft())
        merged.append(step)
    return [*merged, *waiting]


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


async def _derivative_steps(session: AsyncSession, items: IdQuery, span: TimeSpan) -> list[Step]:
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
        .where(Derivative.item_id.in_(items), *span.holds(Derivative.created_at))
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


async def _share_steps(session: AsyncSession, items: IdQuery, span: TimeSpan) -> list[Step]:
    rows = (
        await session.execute(
            select(Share, ShareItem)
            .join(ShareItem, ShareItem.share_id == Share.id)
            .where(ShareItem.item_id.in_(items), *span.holds(Share.created_at))
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
    if not actors:
        return {}
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
