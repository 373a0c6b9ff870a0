"""Fixity: does the evidence store still hold, whole and unchanged, what the database lists?

After a restore, a storage migration or simply over years, a force's store and database can
drift apart. The check goes through every evidence item of a force, oldest first:

- a live item's original (quarantined ones included) and each of its derivatives must be in
  the store with the recorded size (the quick check asks the store, ``ObjectSizes``); the
  full check also reads each one back and compares its SHA-256 with the recorded one;
- a disposed item (a tombstone) must have no original and no derivative left;
- nothing may sit under the force's evidence keys (``originals/``, ``derivatives/``) that
  no item, derivative or upload in progress names: an orphan. Only a store that can list
  (``ObjectListing``) can be searched for orphans; the report says which could not. The
  search takes the listing ``KEYS_PER_LOOKUP`` keys at a time and asks the database which of
  them are named, so it holds one batch of keys whatever the size of the force.

A **sample** (``check_sample``, run daily for each force by ``exhibit.evidence.routine_fixity``)
is the quick check of one ``Slice`` of the items and of their derivatives, with no orphan
search. Day ``n`` (counted from 1 January of year 1) takes the items whose id leaves
``n % CYCLE_DAYS`` when divided by ``CYCLE_DAYS``, so any ``CYCLE_DAYS`` days in a row check
every item, and no state is kept per item.

Every run that finishes is written to the force's audit chain as ``evidence.fixity_checked``.
A store that cannot be asked (unreachable, refusing, not enabled) stops the check with
``FixityCheckFailed``: a missing object and an unreachable store must never look alike.
"""

import asyncio
import enum
import hashlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.cases.models import Case
from exhibit.evidence.models import Derivative, EvidenceItem, ReviewState
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.platform import Platform, ProviderUnavailable
from exhibit.plugins.context import ForceInfo
from exhibit.storage.backend import ObjectNotFound, StorageBackend, StorageError
from exhibit.storage.capabilities import ObjectListing, ObjectSizes
from exhibit.uploads.models import Upload

EVIDENCE_PREFIXES = ("originals/", "derivatives/")
"""Where a force's evidence objects live in its store (see uploads.tus and media.pipeline)."""
ITEMS_PER_BATCH = 200
CHECKS_AT_ONCE = 8
"""Objects asked about (or read) at the same time: a HEAD to S3 costs a round trip."""
KEYS_PER_LOOKUP = 1000
"""Keys of a store's listing looked up in the database at once in the orphan search (one
``IN`` query per kind of record): all the search holds, whatever the size of the force."""
IDS_IN_AUDIT = 1000
"""At most this many ids (or keys) of each kind go into the audit event; counts are exact."""
CYCLE_DAYS = 30
"""A daily sample checks every item once in this many days."""
FIXITY_CHECKED = "evidence.fixity_checked"
"""The audit action of a finished check (``exhibit.operations.figures`` reads the latest)."""


class FixityCheckFailed(Exception):
    """The check could not run to the end (a store unreachable or unavailable)."""


class Mode(enum.StrEnum):
    """``quick``: sizes only; ``full``: every object read back and hashed."""

    QUICK = "quick"
    FULL = "full"


@dataclass(frozen=True)
class Slice:
    """The items of one day's sample: those whose id leaves ``index`` when divided by ``of``."""

    index: int
    of: int = CYCLE_DAYS

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.of:
            raise ValueError(f"slice {self.index} is not one of 0 to {self.of - 1}")

    @classmethod
    def of_day(cls, day: date) -> "Slice":
        """Day ``day``'s slice: consecutive days take consecutive slices, round the cycle."""
        return cls(day.toordinal() % CYCLE_DAYS)

    def holds(self) -> ColumnElement[bool]:
        """The SQL condition on an evidence item of being in this slice."""
        return EvidenceItem.id % self.of == self.index


class Problem(enum.StrEnum):
    """What can be wrong with an object."""

    MISSING = "missing"
    CHANGED = "changed"
    NOT_DISPOSED = "not disposed"
    ORPHAN = "orphan"


COUNT_KEYS = {
    Problem.MISSING: "missing",
    Problem.CHANGED: "changed",
    Problem.NOT_DISPOSED: "not_disposed",
    Problem.ORPHAN: "orphans",
}
"""The key of each problem's count in the details of the ``evidence.fixity_checked`` event."""


@dataclass(frozen=True)
class Finding:
    """One problem: the object's key, what is wrong, and the item it belongs to (if any)."""

    problem: Problem
    key: str
    what: str
    item_id: int | None = None
    case_reference: str | None = None
    derivative_id: int | None = None


@dataclass
class Progress:
    """How far a check has gone, for a progress line."""

    items_done: int = 0
    items_total: int = 0
    bytes_read: int = 0
    bytes_total: int = 0


@dataclass
class FixityReport:
    """What one run of the check found, in counts and (bounded) lists of ids."""

    force: ForceInfo
    mode: Mode
    progress: Progress = field(default_factory=Progress)
    originals: int = 0
    derivatives: int = 0
    tombstones: int = 0
    counts: dict[Problem, int] = field(default_factory=lambda: dict.fromkeys(Problem, 0))
    ids: dict[str, list[int | str]] = field(default_factory=dict)
    unlisted: list[str] = field(default_factory=list)
    """Stores not searched for orphans: those that cannot list their objects (a sample,
    which looks for no orphans, names every store)."""
    sample: Slice | None = None
    """The slice of items checked, for a sample; None when every item was."""

    @property
    def ok(self) -> bool:
        """True when nothing is missing, changed, left after disposal or orphaned."""
        return not any(self.counts.values())

    def add(self, finding: Finding) -> None:
        """Count ``finding`` and keep its id (up to ``IDS_IN_AUDIT`` of each kind)."""
        self.counts[finding.problem] += 1
        ident: int | str
        if finding.problem is Problem.ORPHAN:
            kind, ident = "orphan_keys", finding.key
        elif finding.derivative_id is not None:
            kind, ident = f"derivatives_{finding.problem.name.lower()}", finding.derivative_id
        else:
            assert finding.item_id is not None
            kind, ident = f"items_{finding.problem.name.lower()}", finding.item_id
        kept = self.ids.setdefault(kind, [])
        if len(kept) < IDS_IN_AUDIT and ident not in kept:
            kept.append(ident)

    def audit_details(self) -> dict[str, Any]:
        """The JSON-ready details of the ``evidence.fixity_checked`` event."""
        sample: dict[str, Any] = {}
        if self.sample is not None:
            sample = {"mode": "sample", "slice": self.sample.index, "slices": self.sample.of}
        return {
            "mode": str(self.mode),
            **sample,
            "items": self.progress.items_done,
            "originals": self.originals,
            "derivatives": self.derivatives,
            "tombstones": self.tombstones,
            "bytes_read": self.progress.bytes_read,
            **{key: self.counts[problem] for problem, key in COUNT_KEYS.items()},
            "orphans_not_searched_in": list(self.unlisted),
            **{kind: list(ids) for kind, ids in sorted(self.ids.items())},
        }


@dataclass(frozen=True)
class _Target:
    """One object the database names, with what the record says of it."""

    key: str
    backend_key: str
    size: int
    sha256: str
    item_id: int
    case_reference: str
    derivative_id: int | None = None

    @property
    def label(self) -> str:
        return "original" if self.derivative_id is None else f"derivative {self.derivative_id}"

    def finding(self, problem: Problem, what: str) -> Finding:
        return Finding(
            problem=problem,
            key=self.key,
            what=f"{self.label} {what}",
            item_id=self.item_id,
            case_reference=self.case_reference,
            derivative_id=self.derivative_id,
        )


async def check_force(
    platform: Platform,
    force_id: int,
    mode: Mode,
    *,
    actor: str,
    on_finding: Callable[[Finding], None],
    on_progress: Callable[[Progress], None] | None = None,
) -> FixityReport:
    """Check force ``force_id``'s store against its records; audit and return the report.

    Each problem goes to ``on_finding`` as it is found (so a long check shows them at once);
    ``on_progress`` is called as objects are checked and bytes read. Raises
    ``FixityCheckFailed`` (nothing audited) when a store cannot be asked.
    """
    return await _check(platform, force_id, mode, None, actor, on_finding, on_progress)


async def check_sample(
    platform: Platform,
    force_id: int,
    sample: Slice,
    *,
    actor: str,
    on_finding: Callable[[Finding], None],
) -> FixityReport:
    """The quick check of ``sample``'s items of force ``force_id`` and of their derivatives,
    without looking for orphans; audited (mode ``sample``, with the slice) and returned.

    Raises ``FixityCheckFailed`` (nothing audited) when a store cannot be asked, exactly as
    ``check_force`` does.
    """
    return await _check(platform, force_id, Mode.QUICK, sample, actor, on_finding, None)


async def _check(
    platform: Platform,
    force_id: int,
    mode: Mode,
    sample: Slice | None,
    actor: str,
    on_finding: Callable[[Finding], None],
    on_progress: Callable[[Progress], None] | None,
) -> FixityReport:
    """Check the force's items (``sample``'s only, if given); orphans only for every item."""
    async with platform.force_session(force_id) as session:
        force = await force_info(session, force_id)
        report = FixityReport(force=force, mode=mode, sample=sample)
        stores = await _stores(platform, session, force)
        report.progress.items_total, report.progress.bytes_total = await _totals(
            session, force_id, sample
        )
    if sample is None:
        listing = await _listing_stores(stores, report)
    else:
        listing, report.unlisted = {}, sorted(stores)
    tick = on_progress or (lambda _: None)
    after = 0
    while True:
        async with platform.force_session(force_id) as session:
            batch = await _item_batch(session, force_id, after, sample)
            if not batch:
                break
            derivatives = await _derivatives_of(session, force_id, [i.id for i, _ in batch])
        after = batch[-1][0].id
        checks: list[Callable[[], Awaitable[Finding | None]]] = []
        for item, case_reference in batch:
            targets = [_original(item, case_reference)]
            targets += [_derivative(d, case_reference) for d in derivatives.get(item.id, [])]
            if item.review_state is ReviewState.DISPOSED:
                report.tombstones += 1
                checks += [partial(_check_gone, stores[t.backend_key], t) for t in targets]
            else:
                report.originals += 1
                report.derivatives += len(targets) - 1
                checks += [
                    partial(_check_kept, stores[t.backend_key], t, mode, report, tick)
                    for t in targets
                ]
        for finding in await _run_bounded(checks):
            if finding is not None:
                report.add(finding)
                on_finding(finding)
        report.progress.items_done += len(batch)
        tick(report.progress)
    for backend_key, store in listing.items():
        await _search_orphans(platform, force_id, backend_key, store, report, on_finding)
    await _record(platform, force_id, report, actor)
    return report


async def _listing_stores(
    stores: dict[str, StorageBackend], report: FixityReport
) -> dict[str, ObjectListing]:
    """The stores that can list their objects (the others go in ``unlisted``).

    Each is asked for its first key under every evidence prefix now, so that one that cannot
    be listed stops the check before anything is checked or reported.
    """
    listing: dict[str, ObjectListing] = {}
    for backend_key, store in stores.items():
        if not isinstance(store, ObjectListing):
            report.unlisted.append(backend_key)
            continue
        for prefix in EVIDENCE_PREFIXES:
            async with aclosing(_listed(backend_key, store, prefix, 1)) as batches:
                await anext(batches, None)
        listing[backend_key] = store
    return listing


async def _search_orphans(
    platform: Platform,
    force_id: int,
    backend_key: str,
    store: ObjectListing,
    report: FixityReport,
    on_finding: Callable[[Finding], None],
) -> None:
    """Report each evidence key ``store`` lists that no record names, in batches of keys.

    Each batch is looked up after it is listed: an object stored after that is not in it,
    and the record of one stored before it is committed by the time it is looked up. The
    prefixes are taken in key order and each batch's orphans reported sorted, so a store
    that lists in key order (S3 does) has its orphans reported wholly in key order.
    """
    for prefix in sorted(EVIDENCE_PREFIXES):
        async with aclosing(_listed(backend_key, store, prefix, KEYS_PER_LOOKUP)) as batches:
            async for keys in batches:
                async with platform.force_session(force_id) as session:
                    named = await _named(session, force_id, backend_key, keys)
                for key in sorted(set(keys) - named):
                    finding = Finding(
                        Problem.ORPHAN, key, f"no item or derivative names it ({backend_key})"
                    )
                    report.add(finding)
                    on_finding(finding)


async def _listed(
    backend_key: str, store: ObjectListing, prefix: str, size: int
) -> AsyncGenerator[list[str]]:
    """The keys ``store`` lists under ``prefix``, in batches of up to ``size``."""
    batch: list[str] = []
    try:
        async for key in store.list_objects(prefix):
            batch.append(key)
            if len(batch) == size:
                yield batch
                batch = []
    except (StorageError, OSError) as exc:
        raise FixityCheckFailed(f"store {backend_key!r} could not be listed: {exc}") from None
    if batch:
        yield batch


async def _named(
    session: AsyncSession, force_id: int, backend_key: str, keys: list[str]
) -> set[str]:
    """Those of ``keys`` (in store ``backend_key``) that an upload in progress, an item or a
    derivative of the force names: one query per kind, for the keys still unnamed.

    Uploads are asked first: one ingested meanwhile is an item by the time items are asked.
    """
    lookups = (
        (Upload, (Upload.item_id.is_(None), Upload.terminated_at.is_(None))),
        (EvidenceItem, ()),
        (Derivative, ()),
    )
    named: set[str] = set()
    for model, conditions in lookups:
        unnamed = [key for key in keys if key not in named]
        if not unnamed:
            break
        query = select(model.storage_key).where(
            model.force_id == force_id,
            model.storage_backend == backend_key,
            model.storage_key.in_(unnamed),
            *conditions,
        )
        named.update(await session.scalars(query))
    return named


async def _stores(
    platform: Platform, session: AsyncSession, force: ForceInfo
) -> dict[str, StorageBackend]:
    """Every store the force's records name, and the one it stores new evidence in."""
    used = set(await session.scalars(select(EvidenceItem.storage_backend).distinct()))
    used |= set(await session.scalars(select(Derivative.storage_backend).distinct()))
    current = await session.scalar(select(Force.storage_backend).where(Force.id == force.id))
    if current is not None:
        used.add(current)
    stores = {}
    for backend_key in sorted(used):
        try:
            stores[backend_key] = await platform.force_storage(session, force, backend_key)
        except (ProviderUnavailable, StorageError) as exc:
            raise FixityCheckFailed(f"store {backend_key!r} cannot be used: {exc}") from None
    return stores


async def _totals(session: AsyncSession, force_id: int, sample: Slice | None) -> tuple[int, int]:
    """How many items the check covers, and how many bytes a full check of them reads."""
    covered = _covered(sample)
    items = await session.scalar(
        select(func.count(EvidenceItem.id)).where(EvidenceItem.force_id == force_id, *covered)
    )
    live = EvidenceItem.review_state != ReviewState.DISPOSED
    original_bytes = await session.scalar(
        select(func.coalesce(func.sum(EvidenceItem.size), 0)).where(
            EvidenceItem.force_id == force_id, live, *covered
        )
    )
    derivative_bytes = await session.scalar(
        select(func.coalesce(func.sum(Derivative.size), 0))
        .join(EvidenceItem, EvidenceItem.id == Derivative.item_id)
        .where(Derivative.force_id == force_id, live, *covered)
    )
    return int(items or 0), int(original_bytes or 0) + int(derivative_bytes or 0)


def _covered(sample: Slice | None) -> tuple[ColumnElement[bool], ...]:
    """The conditions an item meets to be checked: none, or being in the sample's slice."""
    return () if sample is None else (sample.holds(),)


async def _item_batch(
    session: AsyncSession, force_id: int, after: int, sample: Slice | None
) -> Sequence[tuple[EvidenceItem, str]]:
    query = (
        select(EvidenceItem, Case.reference)
        .join(Case, Case.id == EvidenceItem.case_id)
        .where(EvidenceItem.force_id == force_id, EvidenceItem.id > after, *_covered(sample))
        .order_by(EvidenceItem.id)
        .limit(ITEMS_PER_BATCH)
    )
    return [(item, reference) for item, reference in (await session.execute(query)).all()]


async def _derivatives_of(
    session: AsyncSession, force_id: int, item_ids: list[int]
) -> dict[int, list[Derivative]]:
    query = (
        select(Derivative)
        .where(Derivative.force_id == force_id, Derivative.item_id.in_(item_ids))
        .order_by(Derivative.id)
    )
    found: dict[int, list[Derivative]] = {}
    for derivative in await session.scalars(query):
        found.setdefault(derivative.item_id, []).append(derivative)
    return found


def _original(item: EvidenceItem, case_reference: str) -> _Target:
    return _Target(
        key=item.storage_key,
        backend_key=item.storage_backend,
        size=item.size,
        sha256=item.sha256,
        item_id=item.id,
        case_reference=case_reference,
    )


def _derivative(derivative: Derivative, case_reference: str) -> _Target:
    return _Target(
        key=derivative.storage_key,
        backend_key=derivative.storage_backend,
        size=derivative.size,
        sha256=derivative.output_sha256,
        item_id=derivative.item_id,
        case_reference=case_reference,
        derivative_id=derivative.id,
    )


async def _check_kept(
    store: StorageBackend,
    target: _Target,
    mode: Mode,
    report: FixityReport,
    tick: Callable[[Progress], None],
) -> Finding | None:
    """A live object: there, of its recorded size (and, in a full check, its SHA-256)."""
    try:
        if mode is Mode.FULL:
            size, digest = await _read_back(store, target.key, report.progress, tick)
        else:
            size, digest = await _size_of(store, target.key), None
    except ObjectNotFound:
        return target.finding(Problem.MISSING, "is missing from the store")
    except (StorageError, OSError) as exc:
        raise FixityCheckFailed(f"the store could not be asked about {target.key}: {exc}") from None
    if size != target.size:
        return target.finding(
            Problem.CHANGED, f"holds {size} bytes where the record says {target.size}"
        )
    if digest is not None and digest != target.sha256:
        return target.finding(
            Problem.CHANGED, f"has SHA-256 {digest} where the record says {target.sha256}"
        )
    return None


async def _check_gone(store: StorageBackend, target: _Target) -> Finding | None:
    """A disposed item's object: no longer in the store."""
    try:
        await _size_of(store, target.key)
    except ObjectNotFound:
        return None
    except (StorageError, OSError) as exc:
        raise FixityCheckFailed(f"the store could not be asked about {target.key}: {exc}") from None
    return target.finding(
        Problem.NOT_DISPOSED, "is still in the store although the item was disposed of"
    )


async def _size_of(store: StorageBackend, key: str) -> int:
    """The object's size: asked of a store that can tell; else read (``stat``)."""
    if isinstance(store, ObjectSizes):
        return await store.object_size(key)
    return (await store.stat(key)).size


async def _read_back(
    store: StorageBackend, key: str, progress: Progress, tick: Callable[[Progress], None]
) -> tuple[int, str]:
    """Stream the whole object and hash it, in the store's chunks (bounded memory)."""
    hasher, size = hashlib.sha256(), 0
    async for chunk in store.read(key):
        hasher.update(chunk)
        size += len(chunk)
        progress.bytes_read += len(chunk)
        tick(progress)
    return size, hasher.hexdigest()


async def _run_bounded(
    checks: list[Callable[[], Awaitable[Finding | None]]],
) -> list[Finding | None]:
    """Run ``checks`` ``CHECKS_AT_ONCE`` at a time; the first failure cancels the rest."""
    gate = asyncio.Semaphore(CHECKS_AT_ONCE)

    async def gated(check: Callable[[], Awaitable[Finding | None]]) -> Finding | None:
        async with gate:
            return await check()

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(gated(check)) for check in checks]
    except* FixityCheckFailed as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


async def _record(platform: Platform, force_id: int, report: FixityReport, actor: str) -> None:
    async with force_transaction(platform, force_id) as tx:
        await audit.record(
            tx.session,
            force_id,
            actor=actor,
            action=FIXITY_CHECKED,
            object_type="force",
            object_id=force_id,
            details=report.audit_details(),
        )
