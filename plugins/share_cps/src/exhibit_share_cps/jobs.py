"""The delivery job of ``share_cps``: deliver through the core, then invite a new partner."""

from exhibit.forces.transaction import force_transaction
from exhibit.jobs.handlers import JobContext
from exhibit.sharing.delivery import deliver_share_job
from exhibit.sharing.partners import invite_partner
from exhibit.sharing.service import find_share
from exhibit_share_cps.targets import CpsPortal

INVITE_ACTOR = "system:share_cps"


def invite_url(public_url: str, force_slug: str) -> str:
    """The address of a force's partner invitation page (the token is appended)."""
    return f"{public_url.rstrip('/')}/plugins/share_cps/{force_slug}/partner/invite"


async def deliver_and_invite(job: JobContext) -> None:
    """Deliver the share; for the portal, email an invitation to a recipient without an account.

    Safe to run twice: delivery is idempotent and a live invitation is not sent again.
    """
    await deliver_share_job(job)
    assert job.force_id is not None
    platform = job.platform
    async with force_transaction(platform, job.force_id) as tx:
        share = await find_share(tx.session, int(job.payload["share_id"]))
        if share.target != CpsPortal.key or share.revoked_at is not None:
            return
        await invite_partner(
            tx.session,
            platform.secret_box,
            tx.force.id,
            share.recipient,
            invite_url=invite_url(platform.settings.public_url, tx.force.slug),
            actor=INVITE_ACTOR,
        )
