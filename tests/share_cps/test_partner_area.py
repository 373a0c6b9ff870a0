"""The prosecutor's partner area: invitation by email, two-factor sign-in, only their shares."""

import re
from pathlib import Path

import pyotp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.accounts.lockout import MAX_FAILURES
from exhibit.accounts.sign_in import Refusal
from exhibit.audit.models import AuditEvent
from exhibit.evidence.models import Derivative
from exhibit.forces.transaction import force_transaction
from exhibit.notifications.models import Notification
from exhibit.notifications.service import unseal
from exhibit.platform import Platform
from exhibit.sharing.bundle_verify import verify_bundle
from exhibit.sharing.models import PartnerAccount
from exhibit.sharing.partners import authenticate, enrol, invite_partner
from exhibit.sharing.signing import public_raw, signing_key
from tests.fixtures.officer import form_token
from tests.share_cps.helpers import PASSWORD, PROSECUTOR, api_headers, drain, invite_path
from tests.share_cps.world import make_world


async def test_a_prosecutor_is_invited_signs_in_sees_only_their_share_and_loses_it_on_revocation(
    cps_platform: Platform, client: AsyncTestClient[Litestar], tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    essex = await make_world(cps_platform, "essex")
    force_id = world.scene.force_id
    officer = await api_headers(cps_platform, force_id, "o@kent.test")
    shares_url = f"/api/v1/cases/{world.scene.case_id}/shares"
    body = {"target": "cps_portal", "expires_in_days": 14, "allow_download": True}
    mine = await client.post(
        shares_url,
        json=body | {"item_ids": [world.redacted.id, world.disclosure.id], "recipient": PROSECUTOR},
        headers=officer,
    )
    assert mine.status_code == 201, mine.text
    share_id = mine.json()["id"]
    someone_elses = await client.post(
        shares_url,
        json=body | {"item_ids": [world.redacted.id], "recipient": "other@cps.test"},
        headers=officer,
    )
    other_id = someone_elses.json()["id"]
    essex_officer = await api_headers(cps_platform, essex.scene.force_id, "o@essex.test")
    essex_share = await client.post(
        f"/api/v1/cases/{essex.scene.case_id}/shares",
        json=body | {"item_ids": [essex.redacted.id], "recipient": PROSECUTOR},
        headers=essex_officer,
    )
    await drain(cps_platform)  # deliveries, invitations, and the emails through the outbox

    invite = await invite_path(cps_platform, force_id, PROSECUTOR)
    form = await client.get(invite)
    assert form.status_code == 200
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', form.text)
    assert secret is not None
    totp = pyotp.TOTP(secret.group(1))
    wrong = await client.post(
        invite,
        data={
            "_csrf_token": form_token(form.text),
            "password": PASSWORD,
            "confirm": PASSWORD,
            "code": "000000" if totp.now() != "000000" else "111111",
        },
    )
    assert wrong.status_code == 400
    assert "code from your authenticator app is wrong" in wrong.text
    enrolled = await client.post(
        invite,
        data={
            "_csrf_token": form_token(wrong.text),
            "password": PASSWORD,
            "confirm": PASSWORD,
            "code": totp.now(),
        },
        follow_redirects=False,
    )
    assert enrolled.status_code == 303, enrolled.text
    assert (await client.get(invite)).status_code == 404  # the link works once

    base = "/plugins/share_cps/kent/partner"
    page = await client.get(f"{base}/sign-in")
    refused = await client.post(
        f"{base}/sign-in",
        data={
            "_csrf_token": form_token(page.text),
            "email": PROSECUTOR,
            "password": PASSWORD,
            "code": "000000" if totp.now() != "000000" else "111111",
        },
    )
    assert refused.status_code == 400
    signed_in = await client.post(
        f"{base}/sign-in",
        data={
            "_csrf_token": form_token(refused.text),
            "email": PROSECUTOR,
            "password": PASSWORD,
            "code": totp.now(),
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303

    listing = await client.get(f"{base}/")
    assert listing.status_code == 200
    assert f"{base}/shares/{share_id}" in listing.text
    assert f"{base}/shares/{other_id}" not in listing.text
    shown = await client.get(f"{base}/shares/{share_id}")
    assert shown.status_code == 200
    assert "PT/1" in shown.text and "PT/2" in shown.text and "PT/3" not in shown.text
    shared = re.findall(r"<code data-shared-sha256>([0-9a-f]{64})</code>", shown.text)
    async with cps_platform.force_session(force_id) as session:
        expected = [
            (await session.get(Derivative, d)).output_sha256  # type: ignore[union-attr]
            for d in (world.redacted.derivative_id, world.disclosure.derivative_id)
        ]
    assert shared == expected
    assert "evidence.received" in shown.text  # continuity history
    # Guessing ids: another recipient's share, another force's share, another force's area.
    assert (await client.get(f"{base}/shares/{other_id}")).status_code == 404
    assert (await client.get(f"{base}/shares/{essex_share.json()['id'] + 100}")).status_code == 404
    elsewhere = await client.get("/plugins/share_cps/essex/partner/", follow_redirects=False)
    assert elsewhere.status_code == 303

    download = await client.get(f"{base}/shares/{share_id}/bundle")
    assert download.status_code == 200
    bundle = tmp_path / "downloaded.zip"
    bundle.write_bytes(download.content)
    async with force_transaction(cps_platform, force_id) as tx:
        key = await signing_key(tx.session, cps_platform.secret_box, force_id, actor="test")
    report = verify_bundle(bundle, Ed25519PublicKey.from_public_bytes(public_raw(key)))
    assert report.ok, report.findings
    assert report.exhibits == 2

    revoked = await client.post(
        f"/api/v1/shares/{share_id}/revoke", json={"reason": "case discontinued"}, headers=officer
    )
    assert revoked.status_code == 201
    assert (await client.get(f"{base}/shares/{share_id}")).status_code == 404
    assert (await client.get(f"{base}/shares/{share_id}/bundle")).status_code == 404
    assert f"{base}/shares/{share_id}" not in (await client.get(f"{base}/")).text

    async with cps_platform.force_session(force_id) as session:
        events = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.actor)
                .where(AuditEvent.object_type == "share", AuditEvent.object_id == str(share_id))
                .order_by(AuditEvent.seq)
            )
        ).all()
    actions = [(action, actor.split(":")[0]) for action, actor in events]
    assert ("share.created", "user") in actions
    assert ("share.viewed", "partner") in actions
    assert ("share.downloaded", "partner") in actions
    assert ("share.bundle_exported", "partner") in actions
    assert actions[-1] == ("share.revoked", "user")


async def test_repeated_wrong_sign_ins_lock_the_partners_address(cps_platform: Platform) -> None:
    world = await make_world(cps_platform)
    force_id, box = world.scene.force_id, cps_platform.secret_box
    async with force_transaction(cps_platform, force_id) as tx:
        account = await invite_partner(
            tx.session,
            box,
            force_id,
            PROSECUTOR,
            invite_url="https://x.test/plugins/p/invite",
            actor="test",
        )
    assert account is not None
    token = (await invite_path(cps_platform, force_id, PROSECUTOR)).rsplit("/", 1)[1]
    totp = pyotp.TOTP(box.decrypt(account.totp_secret_encrypted))
    async with force_transaction(cps_platform, force_id) as tx:
        await enrol(tx.session, box, token, PASSWORD, totp.now())

    async def attempt(password: str, client: str = "198.51.100.7") -> PartnerAccount | Refusal:
        async with force_transaction(cps_platform, force_id) as tx:
            return await authenticate(
                tx.session, box, force_id, PROSECUTOR, password, totp.now(), client=client
            )

    assert isinstance(await attempt(PASSWORD), PartnerAccount)
    for _ in range(MAX_FAILURES - 1):
        assert await attempt("a wrong password!") == Refusal.WRONG
    assert await attempt("a wrong password!") == Refusal.LOCKED  # told at once
    # Locked, even with the right password and code, and told so.
    assert await attempt(PASSWORD) == Refusal.LOCKED
    async with cps_platform.force_session(force_id) as session:
        locked = list(
            await session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "partner.sign_in_refused")
            )
        )
    assert [d["locked"] for d in locked] == [False] * MAX_FAILURES + [True]


async def test_the_invitation_names_the_force_that_shared(cps_platform: Platform) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    async with force_transaction(cps_platform, force_id) as tx:
        await invite_partner(
            tx.session,
            cps_platform.secret_box,
            force_id,
            PROSECUTOR,
            invite_url="https://exhibit.example/plugins/share_cps/kent/partner/invite",
            actor="test",
        )
        force_name = tx.force.name
    async with cps_platform.force_session(force_id) as session:
        invitation = await session.scalar(
            select(Notification).where(Notification.purpose == "partner_invite")
        )
    assert invitation is not None and invitation.body_encrypted is not None
    content = unseal(cps_platform.secret_box, invitation.body_encrypted)

    assert content.subject == f"{force_name} has shared evidence with you"
    assert content.body.startswith(f"{force_name} has shared evidence with you through Exhibit.")
