"""``exhibit share_cps partners|partner-reset|partner-end``: a force's prosecutors' accounts.

For the force's administrator: who has an account, and, for a prosecutor who lost their
phone or forgot their password, a new invitation; for one who left, the end of their access.
Each change is audited with its reason.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.cli.runtime import run_with_platform
from exhibit.forces.transaction import force_by_slug, force_transaction
from exhibit.platform import Platform
from exhibit.sharing.models import PartnerAccount
from exhibit.sharing.partners import end_partner_access, reset_partner
from exhibit_share_cps.jobs import invite_url

CLI_ACTOR = "cli"
_FORCE = click.option("--force", "force_slug", required=True, help="The force's slug.")
_REASON = click.option("--reason", required=True, help="Why (recorded in the audit log).")


@click.command("partners")
@_FORCE
def partners(force_slug: str) -> None:
    """List the force's partner accounts: address, state, since when."""

    async def work(platform: Platform) -> list[PartnerAccount]:
        async with platform.system_session() as session:
            force_id = (await force_by_slug(session, force_slug)).id
        async with platform.force_session(force_id) as session:
            found = await session.scalars(select(PartnerAccount).order_by(PartnerAccount.email))
            return list(found)

    for account in run_with_platform(work):
        click.echo(f"{account.email:<40} {_state(account)}")


def _state(account: PartnerAccount) -> str:
    if account.enrolled_at is not None:
        return f"signs in (since {_day(account.enrolled_at)})"
    if account.invite_expires_at is not None:
        return f"invited (until {_day(account.invite_expires_at)})"
    return "no access"


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


@click.command("partner-reset")
@click.argument("email")
@_FORCE
@_REASON
def partner_reset(email: str, force_slug: str, reason: str) -> None:
    """End EMAIL's access and email a new invitation (a lost phone, a forgotten password)."""

    async def change(platform: Platform, session: AsyncSession, force_id: int, slug: str) -> None:
        await reset_partner(
            session,
            platform.secret_box,
            force_id,
            email,
            invite_url=invite_url(platform.settings.public_url, slug),
            actor=CLI_ACTOR,
            reason=reason,
        )

    _run(force_slug, change)
    click.echo(f"{email}: signed out and sent a new invitation")


@click.command("partner-end")
@click.argument("email")
@_FORCE
@_REASON
def partner_end(email: str, force_slug: str, reason: str) -> None:
    """End EMAIL's access at once (someone who left); a later share invites them again."""

    async def change(platform: Platform, session: AsyncSession, force_id: int, slug: str) -> None:
        await end_partner_access(
            session, platform.secret_box, force_id, email, actor=CLI_ACTOR, reason=reason
        )

    _run(force_slug, change)
    click.echo(f"{email}: access ended")


Change = Callable[[Platform, AsyncSession, int, str], Awaitable[None]]


def _run(force_slug: str, change: Change) -> None:
    """Make ``change`` in one transaction of the force (a ``PartnerRefused`` is one line and
    exit status 1, as ``run_with_platform`` reports every ``ValueError``)."""

    async def work(platform: Platform) -> None:
        async with platform.system_session() as session:
            force_id = (await force_by_slug(session, force_slug)).id
        async with force_transaction(platform, force_id) as tx:
            await change(platform, tx.session, force_id, force_slug)

    run_with_platform(work)
