"""A unit of work for one force: change, audit, commit, then tell the force's plugins.

Event hooks run only after the commit, so a plugin never hears of a change that was rolled
back, and a failing plugin cannot undo one. Its failure is logged and recorded.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit.log import WRITTEN_KEY
from exhibit.audit.models import AuditEvent
from exhibit.forces.models import Force, PluginFailure
from exhibit.forces.plugin_settings import enabled_plugins
from exhibit.platform import Platform
from exhibit.plugins import events
from exhibit.plugins.context import AuditEventInfo, ForceInfo


class ForceNotFound(LookupError):
    """No force with that id or slug."""


class ForceTransaction:
    """The session of one force's unit of work, and the events to send once it commits."""

    def __init__(self, session: AsyncSession, force: ForceInfo) -> None:
        self.session = session
        self.force = force
        self._events: list[tuple[str, dict[str, Any]]] = []

    def emit(self, hook: str, **kwargs: Any) -> None:
        """Queue an event hook call for after the commit (``force`` and ``config`` are added)."""
        self._events.append((hook, kwargs))


async def force_info(session: AsyncSession, force_id: int) -> ForceInfo:
    """The snapshot of a force that hooks and providers receive."""
    force = await session.get(Force, force_id)
    if force is None:
        raise ForceNotFound(f"no force with id {force_id}")
    return ForceInfo(id=force.id, slug=force.slug, name=force.name)


async def force_by_slug(session: AsyncSession, slug: str) -> Force:
    """The force with that slug, or ``ForceNotFound``."""
    force = await session.scalar(select(Force).where(Force.slug == slug))
    if force is None:
        raise ForceNotFound(f"no force {slug!r}")
    return force


@asynccontextmanager
async def force_transaction(platform: Platform, force_id: int) -> AsyncIterator[ForceTransaction]:
    """Run a change for one force: commit on success, roll back on error, then emit events."""
    async with platform.force_session(force_id) as session:
        tx = ForceTransaction(session, await force_info(session, force_id))
        yield tx
        written: list[AuditEvent] = session.info.pop(WRITTEN_KEY, [])
        await session.commit()
    for event in written:
        tx.emit("exhibit_audit_event_written", event=_audit_info(event))
    if tx._events:
        await dispatch(platform, tx.force, tx._events)


async def dispatch(
    platform: Platform, force: ForceInfo, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    """Send committed events to the force's enabled plugins and record any failure.

    No session is open while the hooks run: a hook may use the database itself (enqueue a
    job, say), and on SQLite an open transaction here would lock it out.
    """
    async with platform.force_session(force.id) as session:
        enabled = await enabled_plugins(session, platform.plugins, platform.secret_box, force.id)
    if not enabled:
        return
    failures: list[events.HookFailure] = []
    for hook, kwargs in queued:
        failures += await events.emit(platform.plugins, hook, force, enabled, **kwargs)
    if not failures:
        return
    async with platform.force_session(force.id) as session:
        session.add_all(
            PluginFailure(plugin_id=f.plugin_id, hook=f.hook, error=f.error) for f in failures
        )
        await session.commit()


def _audit_info(event: AuditEvent) -> AuditEventInfo:
    return AuditEventInfo(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        reason=event.reason,
        hash=event.hash,
    )
