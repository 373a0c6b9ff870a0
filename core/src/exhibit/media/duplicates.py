"""Near-duplicates: items of the same force whose pictures have close perceptual hashes."""

from collections.abc import Sequence

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.media.models import MediaHash

DEFAULT_MAX_DISTANCE = 10
"""Hamming distance (of 64 bits) below which two pictures count as the same scene."""


class NearDuplicate(msgspec.Struct, frozen=True):
    """Another item whose picture is within ``distance`` bits of one of this item's."""

    item_id: int
    distance: int


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes of equal length."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


async def near_duplicates(
    session: AsyncSession, item_id: int, max_distance: int = DEFAULT_MAX_DISTANCE
) -> Sequence[NearDuplicate]:
    """Items in the session's force with a hash within ``max_distance`` of the item's.

    Use a force session: its scoping keeps other forces' items out. Closest first.
    """
    rows = (
        await session.execute(select(MediaHash.item_id, MediaHash.algorithm, MediaHash.value))
    ).all()
    mine = [(r.algorithm, r.value) for r in rows if r.item_id == item_id]
    best: dict[int, int] = {}
    for row in rows:
        if row.item_id == item_id:
            continue
        for algorithm, value in mine:
            if algorithm == row.algorithm and len(value) == len(row.value):
                distance = hamming(value, row.value)
                if distance <= max_distance and distance < best.get(row.item_id, 65):
                    best[row.item_id] = distance
    return sorted(
        (NearDuplicate(i, d) for i, d in best.items()), key=lambda n: (n.distance, n.item_id)
    )
