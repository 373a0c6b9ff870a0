"""Fixity in ``/metrics``: what each force's latest check found, by kind, and when it ran.

The daily sample is run by a real worker, on an evidence store damaged behind Exhibit's
back; the figures come from the audit events the checks write.
"""

from litestar import Litestar
from litestar.testing import AsyncTestClient

from exhibit.db.base import utcnow
from exhibit.evidence.fixity import Finding, Mode, Slice, check_force, check_sample
from exhibit.evidence.routine_fixity import QUEUE_SAMPLES_JOB, queue_samples
from exhibit.jobs.periodic import schedule_periodic
from exhibit.jobs.worker import PERIODIC_JOBS
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.evidence.arrivals import with_derivative
from tests.evidence.test_fixity import checks, item_key, object_path
from tests.evidence.test_fixity_sample import inside_and_outside
from tests.fixtures.officer import run_queued_jobs
from tests.fixtures.witness import make_scene
from tests.operations.test_figures import of, scrape

PROBLEMS = "exhibit_fixity_problems"
LAST_CHECK = "exhibit_fixity_last_check_timestamp_seconds"


async def run_the_daily_samples(platform: Platform) -> None:
    """Let the scheduler queue the periodic job, then a real worker run what is due."""
    assert QUEUE_SAMPLES_JOB in await schedule_periodic(
        platform.sessions, {QUEUE_SAMPLES_JOB: PERIODIC_JOBS[QUEUE_SAMPLES_JOB]}
    )
    await run_queued_jobs(platform)


async def test_the_workers_daily_sample_finds_a_deleted_original_in_todays_slice_only(
    client: AsyncTestClient[Litestar], platform: Platform, settings: Settings
) -> None:
    kent = await make_scene(platform, "kent")
    await make_scene(platform, "essex")
    today = Slice.of_day(utcnow().date())
    inside, outside = await inside_and_outside(platform, kent, today)
    await with_derivative(platform, kent, inside, b"thumbnail bytes")
    for item_id in (inside, outside):
        object_path(settings, await item_key(platform, kent.force_id, item_id)).unlink()
    before = await scrape(client)
    started = utcnow().timestamp()

    await run_the_daily_samples(platform)

    (details,) = await checks(platform, kent.force_id)
    assert details["mode"] == "sample"
    assert (details["slice"], details["slices"]) == (today.index, 30)
    assert details["missing"] == 1
    assert details["items_missing"] == [inside]
    assert details["derivatives"] == 1
    assert details["orphans_not_searched_in"] == ["local"]
    samples = await scrape(client)
    assert of(before, PROBLEMS, force="kent", problem="missing") is None
    assert of(before, LAST_CHECK, force="kent") == 0
    assert of(samples, PROBLEMS, force="kent", problem="missing") == 1
    for problem in ("changed", "not_disposed", "orphan"):
        assert of(samples, PROBLEMS, force="kent", problem=problem) == 0
    assert of(samples, PROBLEMS, force="essex", problem="missing") == 0
    for slug in ("kent", "essex"):
        checked = of(samples, LAST_CHECK, force=slug)
        assert checked is not None and started - 1 <= checked <= utcnow().timestamp()
    # Once a day: the next rounds today queue nothing more.
    assert await queue_samples(platform, utcnow().date()) == []


async def test_the_figures_follow_the_latest_check_whatever_its_mode(
    client: AsyncTestClient[Litestar], platform: Platform, settings: Settings
) -> None:
    kent = await make_scene(platform, "kent")
    await make_scene(platform, "essex")
    some_day = Slice(0)
    _, outside = await inside_and_outside(platform, kent, some_day)
    object_path(settings, await item_key(platform, kent.force_id, outside)).unlink()
    found: list[Finding] = []

    await check_force(platform, kent.force_id, Mode.QUICK, actor="cli", on_finding=found.append)
    after_quick = await scrape(client)
    await check_sample(platform, kent.force_id, some_day, actor="system", on_finding=found.append)
    after_sample = await scrape(client)

    assert of(after_quick, PROBLEMS, force="kent", problem="missing") == 1
    assert of(after_sample, PROBLEMS, force="kent", problem="missing") == 0
    quick_at = of(after_quick, LAST_CHECK, force="kent")
    sample_at = of(after_sample, LAST_CHECK, force="kent")
    assert quick_at is not None and sample_at is not None and 0 < quick_at <= sample_at
    assert of(after_sample, PROBLEMS, force="essex", problem="missing") is None
    assert of(after_sample, LAST_CHECK, force="essex") == 0
