"""A short, renewable lease on an upload: one request at a time writes to it, in any process.

The lease is two columns on the upload row (``locked_by``, ``locked_until``), taken with a
conditional write like a job claim. While a request streams a chunk, a background task
renews the lease every third of its length; if the holder dies, the lease runs out and the
next request takes it over. The store's own protection (``UploadBusy``) stays as a second
line of defence.
"""

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update

from exhibit.db.base import utcnow
from exhibit.platform import Platform
from exhibit.uploads.models import Upload

LEASE = timedelta(seconds=20)
"""How long a lease lasts unless renewed: also how long a crashed writer blocks a resume."""


class UploadLocked(Exception):
    """Another request is writing to this upload right now; retry shortly."""


@dataclass
class Lease:
    """A lease held on one upload. ``lost`` turns true if a renewal found it taken over."""

    force_id: int
    upload_id: int
    holder: str
    lost: bool = False


def new_holder() -> str:
    """A name for one request's lease: host, process and a random part (at most 64 chars)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(6)}"


def grant(upload: Upload, holder: str, now: datetime) -> None:
    """Take the lease on a row loaded for update, unless another live holder has it."""
    until = upload.locked_until
    if upload.locked_by not in (None, holder) and until is not None and until > now:
        raise UploadLocked("another request is writing to this upload")
    upload.locked_by = holder
    upload.locked_until = now + LEASE


async def renew(platform: Platform, lease: Lease) -> bool:
    """Push the lease's end further out; False if another holder has taken it."""
    async with platform.force_session(lease.force_id) as session:
        renewed = await session.scalar(
            update(Upload)
            .where(
                Upload.id == lease.upload_id,
                Upload.force_id == lease.force_id,
                Upload.locked_by == lease.holder,
            )
            .values(locked_until=utcnow() + LEASE)
            .returning(Upload.id)
        )
        await session.commit()
    return renewed is not None


async def keep_renewed(platform: Platform, lease: Lease) -> None:
    """Renew ``lease`` until cancelled, or until it is found lost (then mark it and stop)."""
    while True:
        await asyncio.sleep(LEASE.total_seconds() / 3)
        try:
            if not await renew(platform, lease):
                lease.lost = True
                return
        except Exception:  # noqa: S112 - the database blinked: try again next time round
            continue


@contextlib.asynccontextmanager
async def renewing(platform: Platform, lease: Lease) -> AsyncIterator[Lease]:
    """Keep ``lease`` renewed for the duration of the block."""
    keeper = asyncio.create_task(keep_renewed(platform, lease))
    try:
        yield lease
    finally:
        keeper.cancel()
        await asyncio.wait([keeper])
