"""The daily fixity sample: one slice of a force's items a day, every item once in 30 days,
queued once a day per force, and retried (never a finding) when a store cannot be asked."""

from datetime import date, timedelta

from sqlalchemy import select, update

from exhibit.db.base import utcnow
from exhibit.evidence.fixity import CYCLE_DAYS, Finding, Slice, check_sample
from exhibit.evidence.routine_fixity import SAMPLE_JOB, queue_samples
from exhibit.forces.models import Force
from exhibit.jobs.models import Job, JobStatus
from exhibit.platform import Platform
from tests.evidence.arrivals import arrived, png
from tests.evidence.test_fixity import checks
from tests.fixtures.officer import run_queued_jobs
from tests.fixtures.witness import Scene, make_scene


async def inside_and_outside(platform: Platform, scene: Scene, sample: Slice) -> tuple[int, int]:
    """The first item to arrive in ``sample``'s slice and the first outside it (as many
    items arrive as it takes: ids are handed out in turn, so at most ``sample.of + 1``)."""
    inside: int | None = None
    outside: int | None = None
    shade = 0
    while inside is None or outside is None:
        item_id = await arrived(platform, scene, png(colour=(shade, 0, 0)))
        shade += 1
        if item_id % sample.of == sample.index:
            inside = inside or item_id
        else:
            outside = outside or item_id
    return inside, outside


async def test_thirty_days_of_samples_check_each_item_exactly_once(platform: Platform) -> None:
    scene = await make_scene(platform)
    items = [await arrived(platform, scene, png(colour=(0, shade, 0))) for shade in range(40)]
    first_day = date(2026, 12, 7)
    days = [first_day + timedelta(days=n) for n in range(CYCLE_DAYS)]
    found: list[Finding] = []

    for day in days:
        await check_sample(
            platform, scene.force_id, Slice.of_day(day), actor="system", on_finding=found.append
        )

    runs = await checks(platform, scene.force_id)
    assert sorted(run["slice"] for run in runs) == list(range(CYCLE_DAYS))
    assert sum(run["items"] for run in runs) == len(items)
    assert all(run["mode"] == "sample" for run in runs)
    assert found == []


async def test_each_force_gets_one_sample_a_day(platform: Platform) -> None:
    kent = await make_scene(platform, "kent")
    essex = await make_scene(platform, "essex")
    today = utcnow().date()

    first = await queue_samples(platform, today)
    again = await queue_samples(platform, today)
    next_day = await queue_samples(platform, today + timedelta(days=1))

    assert first == next_day == sorted([kent.force_id, essex.force_id])
    assert again == []
    async with platform.system_session() as session:
        jobs = (await session.scalars(select(Job).where(Job.kind == SAMPLE_JOB))).all()
    assert (
        sorted(job.payload["day"] for job in jobs)
        == [today.isoformat()] * 2 + [(today + timedelta(days=1)).isoformat()] * 2
    )


async def test_a_store_that_cannot_be_used_fails_the_job_for_a_retry_with_nothing_found(
    platform: Platform,
) -> None:
    scene = await make_scene(platform)
    await arrived(platform, scene, png())
    async with platform.system_session() as session:
        # A store this force has not enabled: it cannot be asked, so nothing may be judged.
        await session.execute(
            update(Force).where(Force.id == scene.force_id).values(storage_backend="s3")
        )
        await session.commit()
    await queue_samples(platform, utcnow().date())

    await run_queued_jobs(platform)  # the sample, and the request's message to the witness

    async with platform.system_session() as session:
        job = await session.scalar(select(Job).where(Job.kind == SAMPLE_JOB))
    assert job is not None
    assert job.status is JobStatus.QUEUED
    assert job.attempts == 1
    assert job.last_error is not None
    assert job.last_error.startswith("FixityCheckFailed(\"store 's3' cannot be used")
    assert job.run_at >= utcnow() + timedelta(seconds=25), "the sample's back-off"
    assert await checks(platform, scene.force_id) == []
