"""What the force's latest fixity check found, read back from its audit event.

``exhibit.evidence.fixity`` writes each finished check to the force's chain as
``evidence.fixity_checked`` with its counts and (up to ``IDS_IN_AUDIT`` of each kind) the ids
of what it found wrong; the admin page shows the latest, and an item page warns when that
check found the item's original, or one of its derivatives, missing or changed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit.models import AuditEvent
from exhibit.evidence.fixity import COUNT_KEYS, FIXITY_CHECKED, Problem

PROBLEM_WORDS = {
    Problem.MISSING: "missing",
    Problem.CHANGED: "changed",
    Problem.NOT_DISPOSED: "left after disposal",
    Problem.ORPHAN: "orphaned",
}
"""How the admin page words each kind of problem."""


@dataclass(frozen=True)
class FixityStatus:
    """The latest check: when it finished, its audit event's number and its details."""

    at: datetime
    seq: int
    details: dict[str, Any]

    @property
    def mode(self) -> str:
        """``quick``, ``full``, or ``sample (slice 3 of 30)`` for a daily sample."""
        mode = str(self.details.get("mode", ""))
        if mode == "sample":
            return (
                f"daily sample, slice {self.details.get('slice')} of {self.details.get('slices')}"
            )
        return mode

    @property
    def problems(self) -> list[tuple[int, str]]:
        """Each kind of problem found, with its count (empty: no problem found)."""
        counts = (
            (int(self.details.get(COUNT_KEYS[problem]) or 0), words)
            for problem, words in PROBLEM_WORDS.items()
        )
        return [(count, label) for count, label in counts if count]

    def item_problems(self, item_id: int, derivative_ids: Iterable[int]) -> list[str]:
        """What the check found wrong with item ``item_id``: its original or one of its
        derivatives (``derivative_ids``) missing or changed."""
        derivatives = set(derivative_ids)
        found = []
        for problem in ("missing", "changed"):
            if item_id in self.details.get(f"items_{problem}", []):
                found.append(f"the original is {problem}")
            named = derivatives.intersection(self.details.get(f"derivatives_{problem}", []))
            found += [f"derivative {d} is {problem}" for d in sorted(named)]
        return found


async def latest_fixity_check(session: AsyncSession, force_id: int) -> FixityStatus | None:
    """Force ``force_id``'s latest check (None if none has run); one query."""
    row = (
        await session.execute(
            select(AuditEvent.occurred_at, AuditEvent.seq, AuditEvent.details)
            .where(AuditEvent.force_id == force_id, AuditEvent.action == FIXITY_CHECKED)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else FixityStatus(row.occurred_at, row.seq, row.details)
