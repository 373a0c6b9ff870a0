"""An item's continuity history: every step from receipt to now, and who took it.

Built from the force's audit log (receipt, views, downloads, decisions, disposal; and what
happened to each share holding the item: bundles exported, delivered, viewed or downloaded
by the recipient, revoked), the item's derivatives (with their provenance) and its shares,
oldest first. Actors are named:
``user:<id>`` becomes the user's name and role, ``witness:request:<id>`` the witness the
request was sent to, ``partner:<id>`` the partner's address.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.audit.models import AuditEvent
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.sharing.models import PartnerAccount, Share, ShareItem
from exhibit.uploads.models import EvidenceRequest

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


async def continuity(session: AsyncSession, item: EvidenceItem) -> list[Step]:
    """The item's history, oldest first (``session`` is scoped to the item's force)."""
    share_ids = [
        str(share_id)
        for share_id in await session.scalars(
            select(ShareItem.share_id).where(ShareItem.item_id == item.id)
        )
    ]
    about_item = and_(AuditEvent.object_type == "item", AuditEvent.object_id == str(item.id))
    about_shares = and_(AuditEvent.object_type == "share", AuditEvent.object_id.in_(share_ids))
    events = [
        e
        for e in await session.scalars(
            select(AuditEvent).where(or_(about_item, about_shares)).order_by(AuditEvent.seq)
        )
        if _concerns(e, item.id)
    ]
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
        )
        for e in events
    ]
    # Derivatives and shares made by code that audits them are already in the log; those
    # recorded only in their own tables (older rows, other writers) are added from there.
    logged_derivatives = {e.details.get("derivative") for e in events}
    logged_shares = {e.details.get("share_id") for e in events if e.action == "item.shared"}
    steps += [
        s
        for s in await _derivative_steps(session, item.id)
        if s.source_id not in logged_derivatives
    ]
    steps += [s for s in await _share_steps(session, item.id) if s.source_id not in logged_shares]
    return sorted(steps, key=lambda s: (s.at, s.audit_seq or 0))


def _concerns(event: AuditEvent, item_id: int) -> bool:
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


async def _derivative_steps(session: AsyncSession, item_id: int) -> list[Step]:
    derivatives = await session.scalars(
        select(Derivative).where(Derivative.item_id == item_id).order_by(Derivative.id)
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
        )
        for d in derivatives
    ]


async def _share_steps(session: AsyncSession, item_id: int) -> list[Step]:
    rows = await session.execute(
        select(Share, ShareItem)
        .join(ShareItem, ShareItem.share_id == Share.id)
        .where(ShareItem.item_id == item_id)
    )
    steps = []
    for share, shared in rows:
        who = await _actor_names(session, {f"user:{share.created_by}"})
        steps.append(
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
            )
        )
    return steps


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


def _event_detail(event: AuditEvent) -> str:
    if event.object_type == "share":
        return _detail({"share": event.object_id, **event.details})
    return _detail(event.details)


def _detail(details: dict[str, object]) -> str:
    return "; ".join(f"{k}={v}" for k, v in details.items() if v not in (None, "", [], {}))
