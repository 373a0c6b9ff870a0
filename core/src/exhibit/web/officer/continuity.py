"""``/items/{id}/continuity``: the item's history, printable (print stylesheet) and as CSV."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.audit import log as audit
from exhibit.evidence.continuity import Step, continuity
from exhibit.evidence.models import EvidenceItem
from exhibit.evidence.review import actor_of
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.uk_time import uk_time
from exhibit.web.officer.form_values import spreadsheet_cell
from exhibit.web.officer.item_queries import find_item
from exhibit.web.officer.pages import AnyRequest, page

# Hides the app's navigation and actions when the history is printed (CSP forbids inline CSS).
PRINT_STYLESHEET = "/static/evidence.css"
CSV_COLUMNS = [
    "time_utc",
    "action",
    "description",
    "by",
    "actor",
    "reason",
    "details",
    "seq",
    "hash",
]


def step_time(moment: datetime) -> str:
    """A step's time for a report a court may read: UK time to the second, zone named."""
    return uk_time(moment).strftime("%d %b %Y %H:%M:%S %Z")


def step_time_utc(moment: datetime) -> str:
    """A step's time in UTC (ISO 8601), for the machine-readable attribute."""
    return moment.astimezone(UTC).isoformat()


async def _history(
    platform: Platform, user: User, item_id: int, fmt: str
) -> tuple[EvidenceItem, list[Step]]:
    async with force_transaction(platform, user.force_id) as tx:
        item = await find_item(tx.session, item_id)
        await audit.record(
            tx.session,
            user.force_id,
            actor=actor_of(user),
            action="item.continuity_viewed",
            object_type="item",
            object_id=item_id,
            details={"format": fmt},
        )
        steps = await continuity(tx.session, item)
    return item, steps


@get(
    "/items/{item_id:int}/continuity",
    include_in_schema=False,
    opt={"permission": Permission.VIEW_CASES},
)
async def continuity_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Template:
    """The continuity history as a page that prints cleanly."""
    item, steps = await _history(platform, user, item_id, "html")
    return page(
        request,
        "continuity.html",
        user=user,
        item=item,
        steps=steps,
        step_time=step_time,
        step_time_utc=step_time_utc,
        print_stylesheet=PRINT_STYLESHEET,
    )


@get(
    "/items/{item_id:int}/continuity.csv",
    include_in_schema=False,
    opt={"permission": Permission.VIEW_CASES},
)
async def continuity_csv(
    platform: NamedDependency[Platform], user: NamedDependency[User], item_id: FromPath[int]
) -> Response[bytes]:
    """The continuity history as CSV, one row per step, oldest first."""
    _, steps = await _history(platform, user, item_id, "csv")
    return csv_download(
        CSV_COLUMNS, [step_cells(step) for step in steps], f"item-{item_id}-continuity.csv"
    )


def step_cells(step: Step) -> list[object]:
    """A step's cells in the order of ``CSV_COLUMNS``."""
    return [
        step_time_utc(step.at),
        step.action,
        step.label,
        step.who,
        step.actor,
        step.reason,
        step.detail,
        step.audit_seq or "",
        step.audit_hash,
    ]


def csv_download(
    columns: Sequence[str], rows: Iterable[Sequence[object]], filename: str
) -> Response[bytes]:
    """A CSV attachment of ``rows`` under ``columns``, each cell safe to open in a
    spreadsheet, not kept by the browser's cache."""
    return Response(
        csv_rows([columns, *rows]),
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
        headers=csv_headers(filename),
    )


def csv_rows(rows: Iterable[Sequence[object]]) -> bytes:
    """``rows`` as CSV lines, each cell safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def csv_headers(filename: str) -> dict[str, str]:
    """The headers of a CSV attachment ``filename`` that the browser must not cache."""
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    }
