"""The plugin as Exhibit loads it: its hooks and its sweep job, which the workers queue."""

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import exhibit_storage_s3
from exhibit.jobs.models import Job, JobStatus
from exhibit.jobs.worker import Worker
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_builtin_plugins
from exhibit.settings import Settings
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.sweep import SWEEP_JOB
from tests.fixtures.tus_client import create_upload, patch_chunk, serving
from tests.fixtures.witness import Scene
from tests.storage_s3.s3_objects import multipart_uploads

pytestmark = pytest.mark.asyncio
MiB = 1024 * 1024


async def test_hooks_register_the_backend_the_hourly_sweep_and_the_check() -> None:
    plugins = load_builtin_plugins([("storage_s3", exhibit_storage_s3)])
    assert plugins.storage_backends["s3"].provider is S3Storage
    assert plugins.config_types["storage_s3"] is Config
    assert plugins.periodic_jobs == {SWEEP_JOB: timedelta(hours=1)}
    assert plugins.implements("storage_s3", "exhibit_check_settings")
    assert "storage_s3" not in plugins.cli_commands


async def test_a_worker_sweeps_what_no_upload_row_knows_without_being_asked(
    settings: Settings,
    s3_plugins: Plugins,
    s3_scene: tuple[Scene, Config],
    s3: Any,
    make_backend: Any,
) -> None:
    scene, config = s3_scene
    # An upload the database knows, half sent through the app.
    with serving(settings, s3_plugins) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            location = await create_upload(http, scene.token, 20 * MiB, {"filename": "v.mp4"})
            answer = await patch_chunk(http, scene.token, location, 0, b"v" * 9 * MiB)
            assert answer.status_code == 204
    # One no row knows (its process died after begin), aged past the threshold.
    store = make_backend(config)
    orphan = await store.begin("originals/9/orphan")
    manifest_key = f"{config.prefix}.exhibit-staging/{orphan['token']}/manifest"
    manifest = json.loads(s3.get_object(Bucket=config.bucket, Key=manifest_key)["Body"].read())
    manifest["created"] = time.time() - 49 * 3600
    s3.put_object(Bucket=config.bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
    assert len(multipart_uploads(s3, config.bucket)) == 2

    # Nobody queues the sweep: a worker does, as it does the core's own sweeps.
    platform = Platform(settings, s3_plugins)
    stop = asyncio.Event()
    running = asyncio.create_task(Worker(platform, poll_interval=0.05).run(stop))
    try:
        for _ in range(600):
            if len(multipart_uploads(s3, config.bucket)) == 1:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await running
        async with platform.system_session() as session:
            ran = (await session.scalars(select(Job).where(Job.kind == SWEEP_JOB))).all()
    finally:
        stop.set()
        await platform.close()
    remaining = multipart_uploads(s3, config.bucket)
    assert [u["UploadId"] for u in remaining] != [orphan["upload_id"]]
    assert len(remaining) == 1
    assert remaining[0]["Key"].startswith(f"{config.prefix}originals/")
    assert [j.status for j in ran] == [JobStatus.SUCCEEDED]
