"""The workers' daily fixity sample on a force that keeps its evidence in S3 (moto over HTTP):
an object deleted behind Exhibit's back is found missing, and an S3 that cannot be reached
fails the job for a retry rather than count anything missing."""

from typing import Any

import pytest
from sqlalchemy import select

from exhibit.db.base import utcnow
from exhibit.evidence.fixity import Slice
from exhibit.evidence.models import EvidenceItem
from exhibit.evidence.routine_fixity import SAMPLE_JOB, queue_samples
from exhibit.jobs.models import Job, JobStatus
from exhibit.platform import Platform
from exhibit_storage_s3.config import Config
from tests.evidence.arrivals import png
from tests.fixtures.officer import run_queued_jobs
from tests.fixtures.witness import Scene
from tests.storage_s3.test_fixity import arrived, checks, point_at_nothing, s3_platform

pytestmark = pytest.mark.asyncio
__all__ = ["s3_platform"]


async def one_in_todays_slice(platform: Platform, scene: Scene) -> EvidenceItem:
    """Items arrive in S3 until one falls in today's slice (ids are handed out in turn)."""
    today = Slice.of_day(utcnow().date())
    for shade in range(today.of):
        item = await arrived(platform, scene, png(colour=(0, 0, shade)))
        if item.id % today.of == today.index:
            return item
    raise AssertionError("no item in today's slice")


async def run_todays_samples(platform: Platform) -> Job:
    """Queue today's samples and let a real worker run what is due; the kent sample's job."""
    await queue_samples(platform, utcnow().date())
    await run_queued_jobs(platform)
    async with platform.system_session() as session:
        job = await session.scalar(select(Job).where(Job.kind == SAMPLE_JOB))
    assert job is not None
    return job


async def test_an_object_deleted_from_s3_is_found_by_the_sample(
    s3_platform: Platform, s3_scene: tuple[Scene, Config], s3: Any
) -> None:
    scene, config = s3_scene
    item = await one_in_todays_slice(s3_platform, scene)
    s3.delete_object(Bucket=config.bucket, Key=config.prefix + item.storage_key)

    job = await run_todays_samples(s3_platform)

    assert job.status is JobStatus.SUCCEEDED
    (details,) = await checks(s3_platform, scene.force_id)
    assert details["mode"] == "sample"
    assert details["items_missing"] == [item.id]


async def test_an_unreachable_s3_fails_the_sample_for_a_retry_without_a_finding(
    s3_platform: Platform, s3_scene: tuple[Scene, Config]
) -> None:
    scene, config = s3_scene
    await one_in_todays_slice(s3_platform, scene)
    await point_at_nothing(s3_platform, scene, config)

    job = await run_todays_samples(s3_platform)

    assert job.status is JobStatus.QUEUED, "to be tried again after its back-off"
    assert job.attempts == 1
    assert job.last_error is not None
    assert job.last_error.startswith("FixityCheckFailed('the store could not be asked about ")
    assert "EndpointConnectionError" in job.last_error
    assert await checks(s3_platform, scene.force_id) == []
