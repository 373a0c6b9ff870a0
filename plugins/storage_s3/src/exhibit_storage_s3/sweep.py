"""Aborting abandoned multipart uploads, so that no orphan parts accrue in a force's bucket.

An upload is abandoned when no live upload row (unfinished, not terminated) in the database
names it, no request holds a live claim on it, and it began longer ago than the force's
``abandoned_after_hours``. Two kinds are found: staging folders whose token no row knows
(their multipart upload is aborted and the folder removed), and multipart uploads under the
force's prefix that neither a row nor a staging manifest names (a process died between
starting one and recording it).

The core's tus sweep discards expired uploads through ``abort`` first; this sweep catches
what falls between the store and the database. Exhibit's workers queue it every
``SWEEP_EVERY`` (``exhibit_periodic_jobs``).
"""

import asyncio
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from exhibit.forces.models import Force, ForcePlugin
from exhibit.platform import Platform
from exhibit.plugins import JobContext
from exhibit.plugins.config import load_config
from exhibit.plugins.context import ForceInfo, ProviderContext
from exhibit.storage.backend import ObjectNotFound
from exhibit.uploads.models import Upload
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.client import storage_error
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.staging import STAGING, Manifest

log = logging.getLogger(__name__)

PLUGIN_ID = "storage_s3"
SWEEP_JOB = "storage_s3.sweep"
SWEEP_EVERY = timedelta(hours=1)


async def sweep_store(
    store: S3Storage,
    known: Collection[str],
    older_than: timedelta,
    skip_prefixes: Collection[str] = (),
) -> int:
    """Abort the abandoned uploads in ``store``'s bucket and prefix; return how many went.

    ``known`` holds the tokens (``state["token"]``) of uploads the database still tracks.
    Multipart uploads under ``skip_prefixes`` (other forces' prefixes inside this one's)
    are not this store's to judge and are left alone.
    """
    return await asyncio.to_thread(
        _sweep, store, frozenset(known), older_than, tuple(skip_prefixes)
    )


def _sweep(
    store: S3Storage, known: frozenset[str], older_than: timedelta, skip: tuple[str, ...]
) -> int:
    client, bucket, prefix = store.client, store.bucket, store.config.prefix
    cutoff = datetime.now(UTC) - older_than
    swept = 0
    kept_upload_ids: set[str] = set()
    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix + STAGING, Delimiter="/"
        )
        folders = [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]
    except Exception as exc:
        raise storage_error("listing staging folders", exc) from exc
    for folder in folders:
        token = folder[len(prefix + STAGING) :].rstrip("/")
        staging = store._staging(token)
        try:
            manifest: Manifest | None = staging.read()
        except ObjectNotFound:
            manifest = None  # a folder left by a completed upload that stopped tidying up
        if token in known:
            if manifest is not None:
                kept_upload_ids.add(manifest.upload_id)
            continue
        if manifest is not None and _in_use(manifest, cutoff):
            kept_upload_ids.add(manifest.upload_id)
            continue
        if manifest is not None:
            store._abort_multipart(manifest.key, manifest.upload_id)
        staging.remove_all()
        swept += 1
    try:
        uploads: list[dict[str, Any]] = [
            upload
            for page in client.get_paginator("list_multipart_uploads").paginate(
                Bucket=bucket, Prefix=prefix
            )
            for upload in page.get("Uploads", [])
        ]
    except Exception as exc:
        raise storage_error("listing multipart uploads", exc) from exc
    for upload in uploads:
        initiated = upload["Initiated"]
        if initiated.tzinfo is None:
            initiated = initiated.replace(tzinfo=UTC)
        key = upload["Key"]
        if upload["UploadId"] in kept_upload_ids or initiated > cutoff or key.startswith(skip):
            continue
        try:
            client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
        except Exception as exc:
            raise storage_error("aborting an abandoned multipart upload", exc) from exc
        swept += 1
    return swept


def _in_use(manifest: Manifest, cutoff: datetime) -> bool:
    """True for an upload begun after ``cutoff`` or claimed by a live request."""
    if manifest.holder and manifest.until > time.time():
        return True  # a request is writing to it now, however long ago it began
    return datetime.fromtimestamp(manifest.created, UTC) > cutoff


@dataclass
class _Target:
    """One force's store and the upload tokens its database still tracks."""

    slug: str
    store: S3Storage
    known: set[str]

    @property
    def place(self) -> tuple[str | None, str]:
        """The store's endpoint and bucket (forces may share a bucket under prefixes)."""
        return self.store.config.endpoint_url, self.store.bucket


async def sweep_all(platform: Platform) -> int:
    """Sweep the bucket of every force that enabled the plugin; return uploads aborted.

    Forces may share a bucket: a force's sweep counts as known the uploads of every force
    with the same prefix, and leaves alone the multipart uploads under another force's
    longer prefix inside its own. A bucket where some force's uploads could not be listed
    is left for the next run, as is a force whose bucket cannot be reached (both logged).
    """
    async with platform.system_session() as session:
        rows = (
            await session.execute(
                select(Force.id, Force.slug, Force.name, ForcePlugin.config)
                .join(ForcePlugin, ForcePlugin.force_id == Force.id)
                .where(ForcePlugin.plugin_id == PLUGIN_ID, ForcePlugin.enabled)
            )
        ).all()
    targets: list[_Target] = []
    unknown_places: set[tuple[str | None, str]] = set()
    for force_id, slug, name, raw in rows:
        config: Config | None = None
        try:
            loaded = load_config(PLUGIN_ID, Config, raw, platform.secret_box, force_slug=slug)
            assert isinstance(loaded, Config)
            config = loaded
            async with platform.force_session(force_id) as session:
                states = await session.scalars(
                    select(Upload.storage_state).where(
                        Upload.storage_backend == S3Storage.key,
                        Upload.completed_at.is_(None),
                        Upload.terminated_at.is_(None),
                    )
                )
                known = {s.get("token") for s in states if isinstance(s, dict)}
            context = ProviderContext(
                platform.settings, ForceInfo(force_id, slug, name), PLUGIN_ID, config
            )
            targets.append(
                _Target(slug, S3Storage(context), {t for t in known if isinstance(t, str)})
            )
        except Exception as exc:
            if config is not None:
                unknown_places.add((config.endpoint_url, config.bucket))
            log.warning("storage_s3 sweep of force %s failed: %s", slug, type(exc).__name__)
    swept = 0
    for target in targets:
        if target.place in unknown_places:
            log.warning(
                "storage_s3 sweep of force %s skipped: a bucket neighbour failed", target.slug
            )
            continue
        prefix = target.store.config.prefix
        neighbours = [t for t in targets if t.place == target.place]
        shared: set[str] = set()  # forces under the same prefix see each other's folders
        for t in neighbours:
            if t.store.config.prefix == prefix:
                shared |= t.known
        inner = {
            t.store.config.prefix
            for t in neighbours
            if t.store.config.prefix != prefix and t.store.config.prefix.startswith(prefix)
        }
        try:
            swept += await sweep_store(target.store, shared, _threshold(target.store.config), inner)
        except Exception as exc:
            log.warning("storage_s3 sweep of force %s failed: %s", target.slug, type(exc).__name__)
    if swept:
        log.info("storage_s3 sweep aborted %s abandoned uploads", swept)
    return swept


def _threshold(config: Config) -> timedelta:
    return timedelta(hours=config.abandoned_after_hours)


async def sweep_job(job: JobContext) -> None:
    """Job handler for ``storage_s3.sweep``: sweep every force (queued every ``SWEEP_EVERY``)."""
    await sweep_all(job.platform)
