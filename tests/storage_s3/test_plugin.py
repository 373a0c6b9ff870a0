"""The plugin as Exhibit loads it: its hooks, its sweep job and its ``check`` command."""

import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import exhibit_storage_s3
from exhibit.jobs.handlers import JobContext
from exhibit.jobs.models import Job, JobStatus
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_builtin_plugins
from exhibit.settings import Settings
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.check import CheckFailed, check_force
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.sweep import SWEEP_JOB, sweep_job
from tests.fixtures.cli import run_exhibit
from tests.fixtures.tus_client import create_upload, patch_chunk, serving
from tests.fixtures.witness import Scene, make_scene
from tests.storage_s3.s3_objects import multipart_uploads

pytestmark = pytest.mark.asyncio
MiB = 1024 * 1024


async def test_hooks_register_the_backend_job_and_command() -> None:
    plugins = load_builtin_plugins([("storage_s3", exhibit_storage_s3)])
    assert plugins.storage_backends["s3"].provider is S3Storage
    assert plugins.config_types["storage_s3"] is Config
    assert [c.name for c in plugins.cli_commands["storage_s3"]] == ["check"]


async def test_sweep_job_aborts_what_no_upload_row_knows(
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

    platform = Platform(settings, s3_plugins)
    try:
        await sweep_job(JobContext(1, SWEEP_JOB, None, {}, 1, platform))
        async with platform.system_session() as session:
            queued = (await session.scalars(select(Job).where(Job.kind == SWEEP_JOB))).all()
    finally:
        await platform.close()
    remaining = multipart_uploads(s3, config.bucket)
    assert [u["UploadId"] for u in remaining] != [orphan["upload_id"]]
    assert len(remaining) == 1
    assert remaining[0]["Key"].startswith(f"{config.prefix}originals/")
    assert [(j.status, j.run_at > j.created_at) for j in queued] == [(JobStatus.QUEUED, True)]


async def test_check_command_reports_a_missing_bucket(
    settings: Settings, s3_scene: tuple[Scene, Config], s3: Any
) -> None:
    _, config = s3_scene
    done = run_exhibit(settings, "storage_s3", "check", "--force", "kent")
    assert done.returncode == 0, done.stderr
    assert "bucket reachable, writable and as configured" in done.stdout

    s3.delete_bucket(Bucket=config.bucket)
    done = run_exhibit(settings, "storage_s3", "check", "--force", "kent")
    assert done.returncode == 1
    assert f"problem: bucket '{config.bucket}' does not exist" in done.stderr
    s3.create_bucket(Bucket=config.bucket)  # the fixture's teardown expects it


async def test_check_refuses_a_force_without_the_plugin(
    platform: Platform, s3_scene: tuple[Scene, Config]
) -> None:
    with pytest.raises(CheckFailed, match="no force 'nowhere'"):
        await check_force(platform, "nowhere")
    await make_scene(platform, "essex")
    with pytest.raises(CheckFailed, match="'essex' has not enabled the storage_s3 plugin"):
        await check_force(platform, "essex")
