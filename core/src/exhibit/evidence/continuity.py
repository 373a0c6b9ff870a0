"""An item's continuity history: every step from receipt to now, and who took it.

Built from the force's audit log (receipt, views, downloads, decisions, disposal), the
item's derivatives (with their provenance) and its shares, oldest first. Actors are named:
``user:<id>`` becomes the user's name and role, ``witness:request:<id>`` the witness the
request was sent to.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.audit.models import AuditEvent
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.sharing.models import Share, ShareItem
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


async def continuity(session: AsyncSession, item: EvidenceItem) -> list[Step]:
    """The item's history, oldest first (``session`` is scoped to the item's force)."""
    events = list(
        await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "item", AuditEvent.object_id == str(item.id))
            .order_by(AuditEvent.seq)
        )
    )
    names = await _actor_names(session, {e.actor for e in events})
    steps = [
        Step(
            at=e.occurred_at,
            action=e.action,
            label=ACTION_LABELS.get(e.action, e.action),
            actor=e.actor,
            who=names.get(e.actor, e.actor),
            reason=e.reason,
            detail=_detail(e.details),
            audit_seq=e.seq,
            audit_hash=e.hash,
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
            )
        )
    return steps


async def _actor_names(session: AsyncSession, actors: set[str]) -> dict[str, str]:
    user_ids = {int(a[5:]) for a in actors if a.startswith("user:") and a[5:].isdigit()}
    request_ids = {
        int(a[16:]) for a in actors if a.startswith("witness:request:") and a[16:].isdigit()
    }
    names: dict[str, str] = {}
    if user_ids:
        for user in await session.scalars(select(User).where(User.id.in_(user_ids))):
            names[f"user:{user.id}"] = f"{user.name} ({user.role.value.replace('_', ' ')})"
    if request_ids:
        rows = await session.execute(
            select(EvidenceRequest.id, EvidenceRequest.recipient_name).where(
                EvidenceRequest.id.in_(request_ids)
            )
        )
        for request_id, name in rows:
            names[f"witness:request:{request_id}"] = f"{name} (witness, request {request_id})"
    return names


def _detail(details: dict[str, object]) -> str:
    return "; ".join(f"{k}={v}" for k, v in details.items() if v not in (None, "", [], {}))
