"""The shared figures in ``/metrics``: each counts what an operator would count by hand, per
force, on SQLite and PostgreSQL alike."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from exhibit.audit.models import AuditEvent
from exhibit.db.base import utcnow
from exhibit.evidence.models import DisposalRequest, EvidenceItem
from exhibit.forces.models import Force, PluginFailure
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.models import Job, JobStatus
from exhibit.jobs.queue import enqueue
from exhibit.media.models import MediaProcessing
from exhibit.media.pipeline import PROCESS_JOB
from exhibit.notifications.delivery import fail_permanently
from exhibit.notifications.models import Notification
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest, Upload
from exhibit.uploads.requests import resend_request
from tests.evidence.arrivals import arrived, png
from tests.fixtures.witness import Scene, make_scene, received_upload
from tests.operations.test_metrics_access import BEARER

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: AsyncTestClient[Litestar]) -> Samples:
    """Every sample of one scrape, keyed by name and sorted labels."""
    response = await client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def of(samples: Samples, name: str, **labels: str) -> float | None:
    """The value of one sample, or None when the scrape has no such sample."""
    return samples.get((name, tuple(sorted(labels.items()))))


async def _jobs(platform: Platform, scene: Scene) -> None:
    """Test jobs in every state; one due two minutes ago, one not due for an hour."""
    now = utcnow()
    async with platform.force_session(scene.force_id) as session:
        due = await enqueue(session, "test.work", {}, run_at=now - timedelta(minutes=2))
        await enqueue(session, "test.work", {}, run_at=now + timedelta(hours=1))
        states = {}
        for status in (JobStatus.RUNNING, JobStatus.FAILED, JobStatus.FAILED, JobStatus.SUCCEEDED):
            job = await enqueue(session, "test.work", {})
            states[job.id] = status
        await session.commit()
    async with platform.system_session() as session:
        for job_id, status in states.items():
            await session.execute(update(Job).where(Job.id == job_id).values(status=status))
        await session.commit()
    assert due.id not in states


async def _media(platform: Platform, scene: Scene) -> None:
    """One item waiting for two processors; one whose processing failed; one that failed and
    then succeeded; one that failed but is disposed of."""
    waiting, failed, mended, disposed = [
        await arrived(platform, scene, png(8 + n, 8)) for n in range(4)
    ]
    async with platform.force_session(scene.force_id) as session:
        for processor in ("a", "b"):
            await enqueue(session, PROCESS_JOB, {"item_id": waiting, "processor": processor})
        done = await enqueue(session, PROCESS_JOB, {"item_id": mended, "processor": "a"})
        for item_id, status in [
            (failed, "failed"),
            (failed, "failed"),
            (mended, "failed"),
            (mended, "succeeded"),
            (disposed, "failed"),
        ]:
            session.add(
                MediaProcessing(
                    item_id=item_id,
                    processor="a",
                    processor_version="1",
                    status=status,
                    input_sha256="0" * 64,
                )
            )
        await session.execute(
            update(EvidenceItem).where(EvidenceItem.id == disposed).values(disposed_at=utcnow())
        )
        await session.execute(
            update(Job).where(Job.id == done.id).values(status=JobStatus.SUCCEEDED)
        )
        session.add(DisposalRequest(item_id=failed, requested_by=scene.officer_id, reason="Dup"))
        await session.commit()


async def _fail_link(platform: Platform, scene: Scene, *, then_resend: bool) -> None:
    """The request's link fails for good; then, if asked, the officer sends a new link."""
    async with force_transaction(platform, scene.force_id) as tx:
        notification = await tx.session.scalar(
            select(Notification).where(Notification.request_id == scene.request_id)
        )
        assert notification is not None
        await fail_permanently(tx.session, notification, None, "number not in service")
    if then_resend:
        async with force_transaction(platform, scene.force_id) as tx:
            force = await tx.session.get(Force, scene.force_id)
            request = await tx.session.get(EvidenceRequest, scene.request_id)
            assert force is not None and request is not None
            await resend_request(
                tx.session,
                platform.secret_box,
                force,
                request,
                actor="test",
                public_url="https://exhibit.test",
            )


async def _uploads(platform: Platform, scene: Scene) -> None:
    """Two uploads begun and not finished, one of them expired."""
    await received_upload(platform, scene, b"partial", filename="a.jpg", declared_type="image/jpeg")
    expired = await received_upload(
        platform, scene, b"gone", filename="b.jpg", declared_type="image/jpeg"
    )
    async with platform.force_session(scene.force_id) as session:
        await session.execute(
            update(Upload)
            .where(Upload.id == expired)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        session.add_all(
            PluginFailure(plugin_id="notify_sms", hook="on_evidence_received", error="timeout")
            for _ in range(2)
        )
        await session.commit()


async def test_each_figure_counts_per_force(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    kent = await make_scene(platform, "kent")
    essex = await make_scene(platform, "essex")
    await _jobs(platform, kent)
    await _media(platform, kent)
    await _fail_link(platform, kent, then_resend=False)
    await _fail_link(platform, essex, then_resend=True)  # the new link replaced it: nothing to do
    await _uploads(platform, kent)

    samples = await scrape(client)

    def jobs(status: str) -> float | None:
        return of(samples, "exhibit_jobs", kind="test.work", force="kent", status=status)

    assert (jobs("queued"), jobs("running"), jobs("failed")) == (2, 1, 2)
    assert jobs("succeeded") is None
    waited = of(samples, "exhibit_jobs_oldest_due_seconds", kind="test.work", force="kent")
    assert waited is not None and 120 <= waited < 600
    assert of(samples, "exhibit_notifications_failed", force="kent", channel="sms") == 1
    assert of(samples, "exhibit_notifications_failed", force="essex", channel="sms") is None
    assert of(samples, "exhibit_uploads_in_progress", force="kent") == 1
    assert of(samples, "exhibit_uploads_in_progress", force="essex") == 0
    assert of(samples, "exhibit_disposals_awaiting_approval", force="kent") == 1
    assert of(samples, "exhibit_disposals_awaiting_approval", force="essex") == 0
    assert of(samples, "exhibit_items_awaiting_processing", force="kent") == 1
    assert of(samples, "exhibit_items_processing_failed", force="kent") == 1
    assert of(samples, "exhibit_items_processing_failed", force="essex") == 0
    assert of(samples, "exhibit_plugin_failures_total", force="kent", plugin="notify_sms") == 2
    for scene, slug in ((kent, "kent"), (essex, "essex")):
        async with platform.force_session(scene.force_id) as session:
            written = await session.scalar(select(func.count()).select_from(AuditEvent))
        assert written
        assert of(samples, "exhibit_audit_events_total", force=slug) == written


async def test_a_force_with_nothing_yet_reads_zero(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    await make_scene(platform, "kent")
    samples = await scrape(client)
    assert of(samples, "exhibit_disposals_awaiting_approval", force="kent") == 0
    assert of(samples, "exhibit_items_processing_failed", force="kent") == 0
    assert of(samples, "exhibit_plugin_failures_total", force="kent", plugin="notify_sms") is None
