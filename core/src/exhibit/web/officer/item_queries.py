"""What the item page shows, read through a force-scoped session (another force's item ids
are not found), and which stored object can be previewed safely in the browser."""

from dataclasses import dataclass
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.cases.models import Case
from exhibit.evidence.actions import ItemAction, allowed_actions
from exhibit.evidence.fixity_status import FixityStatus, latest_fixity_check
from exhibit.evidence.models import (
    Category,
    Derivative,
    DisposalRequest,
    DisposalState,
    EvidenceItem,
    ReviewState,
)
from exhibit.evidence.quarantine import Release, latest_release
from exhibit.media.models import MediaProcessing
from exhibit.sharing.models import Share
from exhibit.sharing.service import unrevoked_shares
from exhibit.uploads.models import EvidenceRequest, Submission
from exhibit.web.officer.item_neighbours import Neighbour, neighbours

# Raster images every browser decodes without running anything (no SVG, no HTML).
SAFE_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
PLAYABLE_VIDEO = frozenset({"video/mp4", "video/webm"})
PLAYABLE_AUDIO = frozenset(
    {"audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/ogg", "audio/wav", "audio/x-wav"}
)
SAFE_TYPES = SAFE_IMAGES | PLAYABLE_VIDEO | PLAYABLE_AUDIO


@dataclass(frozen=True)
class StoredFile:
    """A stored object to stream: the item's original or one of its derivatives."""

    backend: str
    key: str
    size: int
    media_type: str
    filename: str


@dataclass(frozen=True)
class Preview:
    """What the item page can show inline: ``kind`` is image, video or audio."""

    kind: str
    file: StoredFile
    derivative: Derivative | None


@dataclass(frozen=True)
class ItemView:
    """Everything on the item page."""

    item: EvidenceItem
    case: Case
    statement: str
    witness: str
    submission_reference: str
    derivatives: list[Derivative]
    categories: list[Category]
    category: Category | None
    preview: Preview | None
    disposals: list[DisposalRequest]
    names: dict[int, str]
    shares: list[Share]
    """The item's shares that have not been revoked (disposing of it needs a tick for them)."""
    previous: Neighbour | None = None
    """The item listed before this one on the case page (newer), if any."""
    following: Neighbour | None = None
    """The item listed after this one on the case page (older), if any."""
    release: Release | None = None
    """Who released the item from quarantine, when and why, if someone did."""
    processing: tuple[MediaProcessing, ...] = ()
    """Each run of a media processor on the item, oldest first: what succeeded, what failed
    and why (a file that could not be read gets no preview, and the officer is told so)."""
    fixity: FixityStatus | None = None
    """The force's latest check of its evidence store, if one has run."""
    fixity_problems: tuple[str, ...] = ()
    """What that check found wrong with the item's stored original or derivatives."""

    @property
    def processing_failed(self) -> bool:
        """Whether a processor's latest run on the item failed (it may be run again)."""
        latest = {run.processor: run.status for run in self.processing}
        return "failed" in latest.values()

    @property
    def pending_disposal(self) -> DisposalRequest | None:
        """The disposal request awaiting a decision, if any."""
        return next((d for d in self.disposals if d.state == DisposalState.PENDING), None)

    @property
    def allowed(self) -> frozenset[ItemAction]:
        """The actions the item's state allows now (whatever the viewer's role)."""
        return allowed_actions(self.item, disposal_pending=self.pending_disposal is not None)

    @property
    def gps(self) -> tuple[float, float] | None:
        """Latitude and longitude from the capture metadata, where the device recorded them."""
        meta = self.item.capture_metadata or {}
        nested = meta.get("gps")
        found: dict[str, Any] = nested if isinstance(nested, dict) else meta
        lat = found.get("latitude", found.get("lat"))
        lon = found.get("longitude", found.get("lon", found.get("lng")))
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            return float(lat), float(lon)
        return None


async def find_item(session: AsyncSession, item_id: int) -> EvidenceItem:
    """The force's item ``item_id``; 404 if it is not one of this force's."""
    item = await session.get(EvidenceItem, item_id)
    if item is None:
        raise NotFoundException(f"no item {item_id}")
    return item


def original_file(item: EvidenceItem) -> StoredFile:
    """The original as stored."""
    return StoredFile(
        item.storage_backend, item.storage_key, item.size, item.sniffed_type, item.original_filename
    )


def derivative_file(item: EvidenceItem, derivative: Derivative) -> StoredFile:
    """A derivative as stored, named after the original."""
    return StoredFile(
        derivative.storage_backend,
        derivative.storage_key,
        derivative.size,
        derivative.media_type,
        f"{derivative.kind}-{item.original_filename}",
    )


def choose_preview(item: EvidenceItem, derivatives: list[Derivative]) -> Preview | None:
    """What to show inline, best first: a playable proxy, a playable original, a thumbnail,
    a safe original image; None when nothing can be shown safely.

    A quarantined original is never handed to the officer's browser to decode (a scanner
    may have refused it, or its bytes differ from what the witness's phone sent): only the
    copies Exhibit made of it are shown, until a supervisor releases it into review.
    """
    by_kind = {d.kind: d for d in derivatives if d.media_type in SAFE_TYPES}
    original_shown = item.review_state != ReviewState.QUARANTINED
    if (proxy := by_kind.get("proxy")) is not None:
        return Preview(_kind(proxy.media_type), derivative_file(item, proxy), proxy)
    if original_shown and item.sniffed_type in PLAYABLE_VIDEO | PLAYABLE_AUDIO:
        return Preview(_kind(item.sniffed_type), original_file(item), None)
    if (thumbnail := by_kind.get("thumbnail")) is not None:
        return Preview(_kind(thumbnail.media_type), derivative_file(item, thumbnail), thumbnail)
    if original_shown and item.sniffed_type in SAFE_IMAGES:
        return Preview("image", original_file(item), None)
    return None


def _kind(media_type: str) -> str:
    if media_type in SAFE_IMAGES:
        return "image"
    return "video" if media_type in PLAYABLE_VIDEO else "audio"


async def item_view(session: AsyncSession, item_id: int) -> ItemView:
    """The item page's content."""
    item = await find_item(session, item_id)
    case = await session.get(Case, item.case_id)
    assert case is not None
    statement = witness = submission_reference = ""
    if item.submission_id is not None:
        row = (
            await session.execute(
                select(Submission, EvidenceRequest.recipient_name)
                .join(EvidenceRequest, EvidenceRequest.id == Submission.request_id)
                .where(Submission.id == item.submission_id)
            )
        ).first()
        if row is not None:
            statement, witness = row[0].statement, row[1]
            submission_reference = row[0].reference
    derivatives = list(
        await session.scalars(
            select(Derivative).where(Derivative.item_id == item.id).order_by(Derivative.id)
        )
    )
    categories = list(await session.scalars(select(Category).order_by(Category.name)))
    disposals = list(
        await session.scalars(
            select(DisposalRequest)
            .where(DisposalRequest.item_id == item.id)
            .order_by(DisposalRequest.id.desc())
        )
    )
    user_ids = {d.requested_by for d in disposals} | {
        d.decided_by for d in disposals if d.decided_by
    }
    if item.reviewed_by:
        user_ids.add(item.reviewed_by)
    names = {u.id: u.name for u in await session.scalars(select(User).where(User.id.in_(user_ids)))}
    previous, following = await neighbours(session, item)
    release = await latest_release(session, item) if item.quarantine_reason else None
    processing = tuple(
        await session.scalars(
            select(MediaProcessing)
            .where(MediaProcessing.item_id == item.id)
            .order_by(MediaProcessing.id)
        )
    )
    fixity = await latest_fixity_check(session, item.force_id)
    fixity_problems = fixity.item_problems(item.id, [d.id for d in derivatives]) if fixity else []
    return ItemView(
        item=item,
        case=case,
        statement=statement,
        witness=witness,
        submission_reference=submission_reference,
        derivatives=derivatives,
        categories=categories,
        category=next((c for c in categories if c.id == item.category_id), None),
        preview=None if item.disposed_at else choose_preview(item, derivatives),
        disposals=disposals,
        names=names,
        shares=await unrevoked_shares(session, item.id),
        previous=previous,
        following=following,
        release=release,
        processing=processing,
        fixity=fixity,
        fixity_problems=tuple(fixity_problems),
    )
