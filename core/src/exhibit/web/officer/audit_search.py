"""``/audit``: searching the force's audit log, downloading it as CSV, verifying its chain.

Filters: who acted (``user:12``, ``system``, or part of a user's name or email), what was
done (an action or its prefix, e.g. ``item.``), on what (``item`` or ``item:42``) and a
range of dates (UK local days, both ends included). Results come newest first, a page at a
time. A CSV download and a chain verification are themselves audited.
"""

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Stream, Template
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.audit import log as audit
from exhibit.audit.export import chain_lines
from exhibit.audit.models import AuditEvent
from exhibit.audit.verify import verify_force_chain
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.uk_time import UK_TIME
from exhibit.web.officer.form_values import spreadsheet_cell
from exhibit.web.officer.pages import AnyRequest, page

SEARCH = {"permission": Permission.SEARCH_AUDIT}
PAGE_SIZE = 50
CSV_LIMIT = 100_000
FILTERS = ("actor", "action", "object", "from", "to")


@dataclass
class AuditQuery:
    """The filters as typed, what was wrong with them, and the SQL conditions they make."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    conditions: list[ColumnElement[bool]] = field(default_factory=list)

    def query_string(self, **extra: str) -> str:
        """The filters (and ``extra``) as a URL query, for pagination and the CSV link."""
        return urlencode({k: v for k, v in (self.values | extra).items() if v})


async def read_query(request: AnyRequest, session: AsyncSession) -> AuditQuery:
    """The search from the URL; problems with a date are reported, not raised."""
    values = {name: str(request.query_params.get(name, "")).strip()[:200] for name in FILTERS}
    query = AuditQuery(values)
    if values["actor"]:
        query.conditions.append(await _actor_condition(session, values["actor"]))
    if values["action"]:
        action = values["action"]
        query.conditions.append(
            AuditEvent.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditEvent.action == action
        )
    if values["object"]:
        kind, _, object_id = values["object"].partition(":")
        query.conditions.append(AuditEvent.object_type == kind.strip())
        if object_id.strip():
            query.conditions.append(AuditEvent.object_id == object_id.strip())
    start, end = _day(query, "from"), _day(query, "to")
    if start is not None:
        query.conditions.append(AuditEvent.occurred_at >= start)
    # The calendar's last day has no day after it: every event is on or before it.
    if end is not None and end.date() < date.max:
        query.conditions.append(AuditEvent.occurred_at < end + timedelta(days=1))
    if start is not None and end is not None and end < start:
        query.errors["to"] = "The end date must be the same as or after the start date"
    return query


def _day(query: AuditQuery, name: str) -> datetime | None:
    value = query.values[name]
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        query.errors[name] = "Enter a date like 2026-11-25"
        return None
    return datetime.combine(day, time(), tzinfo=UK_TIME)


async def _actor_condition(session: AsyncSession, actor: str) -> ColumnElement[bool]:
    if ":" in actor or actor in ("system", "cli", "anonymous"):
        return AuditEvent.actor == actor
    pattern = f"%{actor.lower()}%"
    ids = await session.scalars(
        select(User.id).where(
            or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern))
        )
    )
    return AuditEvent.actor.in_([f"user:{i}" for i in ids])


async def _names(session: AsyncSession) -> dict[str, str]:
    users = await session.execute(select(User.id, User.name))
    return {f"user:{row.id}": row.name for row in users}


@get("/audit", include_in_schema=False, opt=SEARCH)
async def audit_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1_000_000)] = 1,
) -> Template:
    """The search form and one page of matching events, newest first."""
    async with platform.force_session(user.force_id) as session:
        query = await read_query(request, session)
        events: Sequence[AuditEvent] = []
        total = 0
        if not query.errors:
            total = (
                await session.scalar(
                    select(func.count()).select_from(AuditEvent).where(*query.conditions)
                )
                or 0
            )
            events = (
                await session.scalars(
                    select(AuditEvent)
                    .where(*query.conditions)
                    .order_by(AuditEvent.seq.desc())
                    .limit(PAGE_SIZE)
                    .offset((page_number - 1) * PAGE_SIZE)
                )
            ).all()
        names = await _names(session)
    pages = max(1, -(-total // PAGE_SIZE))
    return page(
        request,
        "audit.html",
        status_code=400 if query.errors else 200,
        user=user,
        query=query,
        events=events,
        names=names,
        total=total,
        page_number=page_number,
        pages=pages,
        details=_details,
    )


@get("/audit/export.csv", include_in_schema=False, opt=SEARCH)
async def audit_csv(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Response[bytes]:
    """Every matching event as CSV (oldest first, as the chain runs); the download is audited."""
    async with force_transaction(platform, user.force_id) as tx:
        query = await read_query(request, tx.session)
        if query.errors:
            return Response(
                "; ".join(query.errors.values()).encode(),
                status_code=400,
                media_type="text/plain",
            )
        events = (
            await tx.session.scalars(
                select(AuditEvent)
                .where(*query.conditions)
                .order_by(AuditEvent.seq)
                .limit(CSV_LIMIT)
            )
        ).all()
        await audit.record(
            tx.session,
            user.force_id,
            actor=f"user:{user.id}",
            action="audit.exported",
            object_type="force",
            object_id=user.force_id,
            details={"filters": {k: v for k, v in query.values.items() if v}, "rows": len(events)},
        )
    return Response(
        _csv(events),
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@get("/audit/chain.jsonl", include_in_schema=False, opt=SEARCH)
async def audit_chain(platform: NamedDependency[Platform], user: NamedDependency[User]) -> Stream:
    """The force's whole chain, every event in full, to check offline (``exhibit audit check``).

    The download is audited first, so the file ends with its own event.
    """
    async with force_transaction(platform, user.force_id) as tx:
        await audit.record(
            tx.session,
            user.force_id,
            actor=f"user:{user.id}",
            action="audit.chain_exported",
            object_type="force",
            object_id=user.force_id,
        )
    return Stream(
        chain_lines(platform, user.force_id),
        media_type="application/jsonl",
        headers={
            "Content-Disposition": 'attachment; filename="audit-chain.jsonl"',
            "Cache-Control": "private, no-store",
        },
    )


@get("/audit/verify", include_in_schema=False, opt=SEARCH)
async def audit_verify(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """Check every link of the force's chain, and say whether it holds (audited)."""
    async with force_transaction(platform, user.force_id) as tx:
        report = await verify_force_chain(tx.session, user.force_id)
        await audit.record(
            tx.session,
            user.force_id,
            actor=f"user:{user.id}",
            action="audit.verified",
            object_type="force",
            object_id=user.force_id,
            details={"ok": report.ok, "events": report.events},
        )
    return page(request, "audit_verify.html", user=user, report=report)


def _details(event: AuditEvent) -> str:
    return json.dumps(event.details, sort_keys=True, ensure_ascii=False) if event.details else ""


def _csv(events: Sequence[AuditEvent]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "seq",
            "occurred_at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "reason",
            "details",
            "hash",
        ]
    )
    for e in events:
        writer.writerow(
            [
                e.seq,
                e.occurred_at.isoformat(),
                spreadsheet_cell(e.actor),
                spreadsheet_cell(e.action),
                spreadsheet_cell(e.object_type),
                spreadsheet_cell(e.object_id),
                spreadsheet_cell(e.reason),
                spreadsheet_cell(_details(e)),
                e.hash,
            ]
        )
    return out.getvalue().encode()
