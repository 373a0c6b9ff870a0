"""The figures an operator alerts on, read from the shared database at scrape time.

Every app process reads the same rows, so each answers the same for the state they share
(the queue, messages, uploads, reviews, the audit log). Each figure is one aggregate query
(a ``GROUP BY``, or an indexed look-up per force), however many rows the tables hold.
Figures that belong to a force carry its slug; zero is shown for a force with nothing to
count, so a dashboard lists every force.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, distinct, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from exhibit.audit.models import AuditEvent
from exhibit.evidence.fixity import COUNT_KEYS, FIXITY_CHECKED
from exhibit.evidence.models import DisposalRequest, DisposalState, EvidenceItem
from exhibit.forces.models import Force, PluginFailure
from exhibit.jobs.models import Job, JobStatus
from exhibit.media.models import MediaProcessing
from exhibit.media.pipeline import PROCESS_JOB
from exhibit.media.records import FAILED, SUCCEEDED
from exhibit.notifications.models import DeliveryStatus, Notification
from exhibit.notifications.reminders import LINK_PURPOSE, REMINDER_PURPOSE
from exhibit.uploads.models import Upload

Labels = tuple[str, ...]
JOB_STATES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED)
"""The job states worth watching; succeeded jobs are history."""
FIXITY_PROBLEMS = {problem.name.lower(): key for problem, key in COUNT_KEYS.items()}
"""Each kind of fixity problem, as labelled, and the key of its count in the audit event."""


@dataclass(frozen=True)
class Figure:
    """One metric: its name, what it means, its type and a value for each set of labels."""

    name: str
    documentation: str
    type: Literal["gauge", "counter"]
    labels: Labels
    samples: tuple[tuple[Labels, float], ...]


async def read_figures(session: AsyncSession, now: datetime) -> list[Figure]:
    """Every figure, read in ``session`` (unscoped: figures span forces, each labelled)."""
    slugs: dict[int, str] = {
        force_id: slug for force_id, slug in await session.execute(select(Force.id, Force.slug))
    }
    return [
        await _jobs(session, slugs),
        await _oldest_due_jobs(session, slugs, now),
        await _failed_messages(session, slugs),
        await _uploads_in_progress(session, slugs, now),
        await _disposals_awaiting_approval(session, slugs),
        await _items_awaiting_processing(session, slugs),
        await _items_processing_failed(session, slugs),
        await _audit_events(session, slugs),
        await _plugin_failures(session, slugs),
        *await _fixity(session, slugs),
    ]


async def _jobs(session: AsyncSession, slugs: Mapping[int, str]) -> Figure:
    rows = await session.execute(
        select(Job.kind, Job.force_id, Job.status, func.count())
        .where(Job.status.in_(JOB_STATES))
        .group_by(Job.kind, Job.force_id, Job.status)
    )
    return Figure(
        "exhibit_jobs",
        "Jobs queued (waiting or due for a retry), running, or failed for good, by kind",
        "gauge",
        ("kind", "force", "status"),
        tuple(
            ((kind, _slug(slugs, force_id), status.value), count)
            for kind, force_id, status, count in rows
        ),
    )


async def _oldest_due_jobs(
    session: AsyncSession, slugs: Mapping[int, str], now: datetime
) -> Figure:
    rows = await session.execute(
        select(Job.kind, Job.force_id, func.min(Job.run_at))
        .where(Job.status == JobStatus.QUEUED, Job.run_at <= now)
        .group_by(Job.kind, Job.force_id)
    )
    return Figure(
        "exhibit_jobs_oldest_due_seconds",
        "How long the queued job that has waited longest since it was due has waited "
        "(no sample: no job is due)",
        "gauge",
        ("kind", "force"),
        tuple(
            ((kind, _slug(slugs, force_id)), max((now - run_at).total_seconds(), 0.0))
            for kind, force_id, run_at in rows
        ),
    )


async def _failed_messages(session: AsyncSession, slugs: Mapping[int, str]) -> Figure:
    # As the case page counts them (notifications.history): failed for good, and not a
    # link or reminder that a newer link on the same channel has replaced.
    newer = aliased(Notification)
    replaced = exists().where(
        newer.request_id == Notification.request_id,
        newer.channel == Notification.channel,
        newer.purpose == LINK_PURPOSE,
        newer.id > Notification.id,
    )
    rows = await session.execute(
        select(Notification.force_id, Notification.channel, func.count())
        .where(
            Notification.status == DeliveryStatus.FAILED_PERMANENTLY,
            ~and_(Notification.purpose.in_((LINK_PURPOSE, REMINDER_PURPOSE)), replaced),
        )
        .group_by(Notification.force_id, Notification.channel)
    )
    return Figure(
        "exhibit_notifications_failed",
        "Messages that failed for good and that no newer link has replaced, by channel",
        "gauge",
        ("force", "channel"),
        tuple(((_slug(slugs, force_id), channel), count) for force_id, channel, count in rows),
    )


async def _uploads_in_progress(
    session: AsyncSession, slugs: Mapping[int, str], now: datetime
) -> Figure:
    rows = await session.execute(
        select(Upload.force_id, func.count())
        .where(
            Upload.completed_at.is_(None), Upload.terminated_at.is_(None), Upload.expires_at > now
        )
        .group_by(Upload.force_id)
    )
    return _per_force(
        "exhibit_uploads_in_progress",
        "tus uploads begun and neither finished, ended nor expired",
        slugs,
        rows.all(),
    )


async def _disposals_awaiting_approval(session: AsyncSession, slugs: Mapping[int, str]) -> Figure:
    rows = await session.execute(
        select(DisposalRequest.force_id, func.count())
        .where(DisposalRequest.state == DisposalState.PENDING)
        .group_by(DisposalRequest.force_id)
    )
    return _per_force(
        "exhibit_disposals_awaiting_approval",
        "Requests to dispose of an item that wait for a second person's decision",
        slugs,
        rows.all(),
    )


async def _items_awaiting_processing(session: AsyncSession, slugs: Mapping[int, str]) -> Figure:
    rows = await session.execute(
        select(Job.force_id, func.count(distinct(Job.payload["item_id"].as_integer())))
        .where(Job.kind == PROCESS_JOB, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
        .group_by(Job.force_id)
    )
    return _per_force(
        "exhibit_items_awaiting_processing",
        "Evidence items with a media processing job queued or running",
        slugs,
        rows.all(),
    )


async def _items_processing_failed(session: AsyncSession, slugs: Mapping[int, str]) -> Figure:
    succeeded = aliased(MediaProcessing)
    rows = await session.execute(
        select(MediaProcessing.force_id, func.count(distinct(MediaProcessing.item_id)))
        .join(EvidenceItem, EvidenceItem.id == MediaProcessing.item_id)
        .where(
            MediaProcessing.status == FAILED,
            EvidenceItem.disposed_at.is_(None),
            ~exists().where(
                succeeded.item_id == MediaProcessing.item_id,
                succeeded.processor == MediaProcessing.processor,
                succeeded.status == SUCCEEDED,
            ),
        )
        .group_by(MediaProcessing.force_id)
    )
    return _per_force(
        "exhibit_items_processing_failed",
        "Evidence items (not disposed of) on which a media processor failed and has not "
        "succeeded since",
        slugs,
        rows.all(),
    )


async def _audit_events(session: AsyncSession, slugs: Mapping[int, str]) -> Figure:
    # A force's events are numbered 1, 2, ... without gaps, so the newest number is the count;
    # one indexed look-up per force on (force_id, seq) rather than a scan of the log.
    newest = (
        select(func.coalesce(func.max(AuditEvent.seq), 0))
        .where(AuditEvent.force_id == Force.id)
        .scalar_subquery()
    )
    rows = await session.execute(select(Force.id, newest))
    return Figure(
        "exhibit_audit_events",
        "Audit events written to the force's hash chain",
        "counter",
        ("force",),
        tuple(((_slug(slugs, force_id),), count) for force_id, count in rows),
    )


async def _plugin_failures(session: AsyncSession, slugs: Mapping[int, str]) -> Figure:
    rows = await session.execute(
        select(PluginFailure.force_id, PluginFailure.plugin_id, func.count()).group_by(
            PluginFailure.force_id, PluginFailure.plugin_id
        )
    )
    return Figure(
        "exhibit_plugin_failures",
        "Failures of a plugin's event hooks, recorded against the plugin",
        "counter",
        ("force", "plugin"),
        tuple(((_slug(slugs, force_id), plugin), count) for force_id, plugin, count in rows),
    )


async def _fixity(session: AsyncSession, slugs: Mapping[int, str]) -> tuple[Figure, Figure]:
    """What each force's latest fixity check found, and when it ran (0: never)."""
    checks = await _latest_fixity_checks(session)
    problems = [
        ((_slug(slugs, force_id), label), float(details.get(key, 0)))
        for force_id, (_, details) in sorted(checks.items())
        for label, key in FIXITY_PROBLEMS.items()
    ]
    times = {force_id: 0.0 for force_id in slugs}
    times.update((force_id, at.timestamp()) for force_id, (at, _) in checks.items())
    return (
        Figure(
            "exhibit_fixity_problems",
            "Problems the force's latest fixity check (any mode) found, by kind "
            "(no sample: never checked)",
            "gauge",
            ("force", "problem"),
            tuple(problems),
        ),
        Figure(
            "exhibit_fixity_last_check_timestamp_seconds",
            "When the force's latest fixity check finished, in Unix time (0: never)",
            "gauge",
            ("force",),
            tuple(((_slug(slugs, force_id),), at) for force_id, at in times.items()),
        ),
    )


async def _latest_fixity_checks(
    session: AsyncSession,
) -> dict[int, tuple[datetime, dict[str, Any]]]:
    """Each force's latest ``evidence.fixity_checked`` event: its time and details.

    One query: every check ever made, found through the index on ``action`` (a daily sample
    is about 3,650 events a force in ten years: 0.13 s for 20 forces in a log of 2,000,000
    events on PostgreSQL), then each latest one through the unique (force_id, seq). An index
    on (force_id, action, seq), which needs a migration, would make it one look-up a force.
    """
    latest = (
        select(AuditEvent.force_id, func.max(AuditEvent.seq).label("seq"))
        .where(AuditEvent.action == FIXITY_CHECKED)
        .group_by(AuditEvent.force_id)
        .subquery()
    )
    rows = await session.execute(
        select(AuditEvent.force_id, AuditEvent.occurred_at, AuditEvent.details).join(
            latest, and_(AuditEvent.force_id == latest.c.force_id, AuditEvent.seq == latest.c.seq)
        )
    )
    return {force_id: (at, details) for force_id, at, details in rows}


def _per_force(
    name: str,
    documentation: str,
    slugs: Mapping[int, str],
    rows: Iterable[tuple[int | None, int]],
) -> Figure:
    """A gauge with one sample per force: the count found, or zero."""
    counts: dict[int | None, int] = {force_id: 0 for force_id in slugs}
    counts.update((force_id, count) for force_id, count in rows)
    samples: Sequence[tuple[Labels, float]] = [
        ((_slug(slugs, force_id),), count) for force_id, count in counts.items()
    ]
    return Figure(name, documentation, "gauge", ("force",), tuple(samples))


def _slug(slugs: Mapping[int, str], force_id: int | None) -> str:
    """The force's slug; empty for work that is no force's (a sweep across forces)."""
    if force_id is None:
        return ""
    return slugs.get(force_id, str(force_id))  # a force created since the slugs were read
