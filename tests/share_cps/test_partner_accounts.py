"""A force's administrator manages its prosecutors' accounts from the command line: lists
them, ends a leaver's access at once, and sends a new invitation for a lost phone."""

import asyncio

import pyotp
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.audit.models import AuditEvent
from exhibit.notifications.models import Notification
from exhibit.notifications.service import unseal
from exhibit.platform import Platform
from tests.fixtures.cli import invoke_exhibit
from tests.fixtures.officer import form_token
from tests.share_cps.helpers import PASSWORD, PROSECUTOR
from tests.share_cps.test_partner_refusals import BASE, _enrolled, _post_sign_in, _sign_in
from tests.share_cps.world import make_world


async def _reasons(platform: Platform, force_id: int) -> list[tuple[str, str]]:
    async with platform.force_session(force_id) as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.reason)
            .where(AuditEvent.object_type == "partner", AuditEvent.actor == "cli")
            .order_by(AuditEvent.seq)
        )
        return [(action, reason) for action, reason in rows]


async def _latest_invitation(platform: Platform, force_id: int) -> str:
    async with platform.force_session(force_id) as session:
        invitations = list(
            await session.scalars(
                select(Notification)
                .where(Notification.purpose == "partner_invite")
                .order_by(Notification.id)
            )
        )
    body = invitations[-1].body_encrypted
    assert body is not None
    link = unseal(platform.secret_box, body).link
    assert link is not None
    return link[link.index("/plugins/") :]


async def test_a_leavers_access_ends_at_once_and_a_lost_phone_gets_a_new_invitation(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    old_app = await _enrolled(cps_platform, force_id)
    await _sign_in(client, old_app)
    assert (await client.get(f"{BASE}/", follow_redirects=False)).status_code == 200

    def cli(*args: str) -> tuple[int, str]:
        done = invoke_exhibit(cps_platform.settings, "share_cps", *args)
        return done.returncode, done.stdout + done.stderr

    listed = await asyncio.to_thread(cli, "partners", "--force", "kent")
    assert listed[0] == 0 and f"{PROSECUTOR}" in listed[1] and "signs in (since" in listed[1]
    unknown = await asyncio.to_thread(
        cli, "partner-end", "nobody@cps.test", "--force", "kent", "--reason", "left"
    )
    assert unknown == (1, "Error: no partner nobody@cps.test in this force\n")

    ended = await asyncio.to_thread(
        cli, "partner-end", PROSECUTOR, "--force", "kent", "--reason", "left the CPS"
    )
    assert ended == (0, f"{PROSECUTOR}: access ended\n")
    # The open session ends on its next request; the password and the old app no longer work.
    after = await client.get(f"{BASE}/", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"].endswith("/partner/sign-in")
    assert (await _post_sign_in(client, PASSWORD, old_app.now())).status_code == 400
    assert "no access" in (await asyncio.to_thread(cli, "partners", "--force", "kent"))[1]

    reset = await asyncio.to_thread(
        cli, "partner-reset", PROSECUTOR, "--force", "kent", "--reason", "lost their phone"
    )
    assert reset == (0, f"{PROSECUTOR}: signed out and sent a new invitation\n")
    invite = await _latest_invitation(cps_platform, force_id)
    form = await client.get(invite)
    assert 'id="qr-code"><svg' in form.text  # a QR code to scan, drawn on the server
    assert "<title>QR code for your authenticator app</title>" in form.text
    secret = form.text.split('<code id="secret">', 1)[1].split("</code>", 1)[0]
    new_app = pyotp.TOTP(secret)
    assert new_app.secret != old_app.secret
    enrolled = await client.post(
        invite,
        data={
            "_csrf_token": form_token(form.text),
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "code": new_app.now(),
        },
        follow_redirects=False,
    )
    assert enrolled.status_code == 303, enrolled.text
    assert (await _post_sign_in(client, "a brand new passphrase", new_app.now())).status_code == 303

    assert await _reasons(cps_platform, force_id) == [
        ("partner.access_ended", "left the CPS"),
        ("partner.access_ended", "lost their phone"),
        ("partner.invited", ""),
    ]
