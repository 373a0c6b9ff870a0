"""Delivering a share through its target, in a job: status kept, retried with back-off.

A target that takes bundles (``BundleReceiver``) is handed a freshly written, signed bundle
in a temporary file; any other target is asked to ``deliver`` the share. A failure is
recorded on the share's delivery record and re-raised so that the job queue retries it; the
last attempt marks the delivery failed. A share revoked before delivery is not delivered.
"""

import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.forces.plugin_settings import enabled_plugins
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.jobs.handlers import JobContext
from exhibit.platform import Platform, ProviderUnavailable
from exhibit.plugins.context import ProviderContext
from exhibit.sharing.bundle import export_bundle
from exhibit.sharing.models import DeliveryState, ShareDelivery, ShareItem
from exhibit.sharing.service import DELIVERY_ATTEMPTS, find_share, share_info
from exhibit.sharing.target import BundleReceiver, DeliveryReport, ShareTarget

DELIVERY_ACTOR = "system:share_delivery"


async def deliver_share_job(job: JobContext) -> None:
    """Job handler: deliver the share ``payload["share_id"]`` of the job's force."""
    assert job.force_id is not None
    share_id = int(job.payload["share_id"])
    try:
        report = await deliver_share(job.platform, job.force_id, share_id)
    except Exception as exc:
        await _record(
            job.platform, job.force_id, share_id, None, exc, final=job.attempt >= DELIVERY_ATTEMPTS
        )
        raise
    await _record(job.platform, job.force_id, share_id, report, None, final=True)


async def deliver_share(platform: Platform, force_id: int, share_id: int) -> DeliveryReport | None:
    """Deliver a share once through its target; None if it was revoked first."""
    async with platform.force_session(force_id) as session:
        share = await find_share(session, share_id)
        if share.revoked_at is not None:
            return None
        item_ids = list(
            await session.scalars(
                select(ShareItem.item_id)
                .where(ShareItem.share_id == share.id)
                .order_by(ShareItem.id)
            )
        )
        info = share_info(share, item_ids)
        force = await force_info(session, force_id)
        enabled = await enabled_plugins(session, platform.plugins, platform.secret_box, force_id)
    provided = platform.plugins.share_targets.get(info.target)
    if provided is None or provided.plugin_id not in enabled:
        raise ProviderUnavailable(f"share target {info.target!r} is not enabled for this force")
    target: ShareTarget = provided.provider(
        ProviderContext(
            settings=platform.settings,
            force=force,
            plugin_id=provided.plugin_id,
            config=enabled[provided.plugin_id],
        )
    )
    if not isinstance(target, BundleReceiver):
        return await target.deliver(info)
    with tempfile.TemporaryDirectory(prefix="exhibit-share-") as folder:
        path = Path(folder) / bundle_name(force.slug, share_id)
        with path.open("wb") as out:
            await export_bundle(platform, force_id, share_id, out, actor=DELIVERY_ACTOR)
        return await target.push_bundle(info, path, path.name)


def bundle_name(force_slug: str, share_id: int) -> str:
    """The file name a share's bundle is delivered under."""
    return f"{force_slug}-share-{share_id}.zip"


async def _record(
    platform: Platform,
    force_id: int,
    share_id: int,
    report: DeliveryReport | None,
    error: Exception | None,
    *,
    final: bool,
) -> None:
    async with force_transaction(platform, force_id) as tx:
        delivery = await tx.session.scalar(
            select(ShareDelivery).where(ShareDelivery.share_id == share_id)
        )
        if delivery is None:
            return
        delivery.attempts += 1
        delivery.updated_at = utcnow()
        if error is not None:
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            if final:
                delivery.state = DeliveryState.FAILED
                await _audit(tx.session, force_id, share_id, "share.delivery_failed", delivery)
            return
        if report is None:  # revoked before it went: nothing was sent
            delivery.state = DeliveryState.WITHDRAWN
            await _audit(tx.session, force_id, share_id, "share.delivery_withdrawn", delivery)
            return
        delivery.state = DeliveryState.DELIVERED if report.delivered else DeliveryState.FAILED
        delivery.reference = (report.reference or "")[:500]
        delivery.last_error = "" if report.delivered else report.detail[:2000]
        action = "share.delivered" if report.delivered else "share.delivery_failed"
        await _audit(tx.session, force_id, share_id, action, delivery)


async def _audit(
    session: AsyncSession, force_id: int, share_id: int, action: str, delivery: ShareDelivery
) -> None:
    await audit.record(
        session,
        force_id,
        actor=DELIVERY_ACTOR,
        action=action,
        object_type="share",
        object_id=share_id,
        details={
            "target": delivery.target,
            "attempts": delivery.attempts,
            "reference": delivery.reference,
        },
    )
