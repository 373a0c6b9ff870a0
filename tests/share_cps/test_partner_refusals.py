"""The partner area at its edges: other targets' shares, refused downloads, bad input, errors.

A prosecutor sees only what was shared through the portal; a download is a sandboxed,
uncached attachment and is audited only when a bundle was made; a refusal is a page of the
partner area saying what to do next; forms name the field at fault.
"""

import re
from datetime import timedelta
from typing import Any

import httpx
import pyotp
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from exhibit.accounts.lockout import MAX_FAILURES
from exhibit.audit.models import AuditEvent
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.sharing.models import Share
from exhibit.sharing.partners import enrol, invite_partner
from tests.fixtures.officer import form_token
from tests.share_cps.helpers import PASSWORD, PROSECUTOR, api_headers, invite_path, share_by_api
from tests.share_cps.world import World, make_world

BASE = "/plugins/share_cps/kent/partner"


async def _enrolled(platform: Platform, force_id: int) -> pyotp.TOTP:
    """Invite and enrol the prosecutor; their two-factor app."""
    box = platform.secret_box
    async with force_transaction(platform, force_id) as tx:
        account = await invite_partner(
            tx.session,
            box,
            force_id,
            PROSECUTOR,
            invite_url=f"https://x.test{BASE}/invite",
            actor="test",
        )
    assert account is not None
    totp = pyotp.TOTP(box.decrypt(account.totp_secret_encrypted))
    token = (await invite_path(platform, force_id, PROSECUTOR)).rsplit("/", 1)[1]
    async with force_transaction(platform, force_id) as tx:
        await enrol(tx.session, box, token, PASSWORD, totp.now())
    return totp


async def _post_sign_in(
    client: AsyncTestClient[Litestar], password: str, code: str, email: str = PROSECUTOR
) -> httpx.Response:
    """Open the sign-in page and send its form."""
    page = await client.get(f"{BASE}/sign-in")
    return await client.post(
        f"{BASE}/sign-in",
        data={
            "_csrf_token": form_token(page.text),
            "email": email,
            "password": password,
            "code": code,
        },
        follow_redirects=False,
    )


async def _sign_in(client: AsyncTestClient[Litestar], totp: pyotp.TOTP) -> None:
    done = await _post_sign_in(client, PASSWORD, totp.now())
    assert done.status_code == 303, done.text


async def _share(
    client: AsyncTestClient[Litestar], officer: dict[str, str], world: World, **body: Any
) -> int:
    """The id of a share of the redacted and disclosure exhibits to the prosecutor."""
    both = [world.redacted.id, world.disclosure.id]
    defaults: dict[str, Any] = {"item_ids": both, "expires_in_days": 7, "allow_download": True}
    return await share_by_api(client, world, officer, **(defaults | body))


async def _events(platform: Platform, force_id: int, share_id: int, action: str) -> int:
    async with platform.force_session(force_id) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.object_type == "share",
                AuditEvent.object_id == str(share_id),
                AuditEvent.action == action,
            )
        )
    return int(count or 0)


async def test_a_share_through_the_drop_is_not_in_the_partner_area(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    totp = await _enrolled(cps_platform, world.scene.force_id)
    officer = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    portal_id = await _share(client, officer, world)
    drop_id = await _share(client, officer, world, target="cps_drop")
    await _sign_in(client, totp)

    listing = (await client.get(f"{BASE}/")).text
    assert f"{BASE}/shares/{portal_id}" in listing
    assert f"{BASE}/shares/{drop_id}" not in listing
    assert (await client.get(f"{BASE}/shares/{drop_id}")).status_code == 404
    assert (await client.get(f"{BASE}/shares/{drop_id}/bundle")).status_code == 404
    assert await _events(cps_platform, world.scene.force_id, drop_id, "share.viewed") == 0
    assert await _events(cps_platform, world.scene.force_id, drop_id, "share.downloaded") == 0


async def test_the_bundle_is_a_sandboxed_uncached_attachment(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    totp = await _enrolled(cps_platform, world.scene.force_id)
    share_id = await _share(
        client, await api_headers(cps_platform, world.scene.force_id, "o@kent.test"), world
    )
    await _sign_in(client, totp)

    download = await client.get(f"{BASE}/shares/{share_id}/bundle")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-security-policy"] == "sandbox"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in download.headers["cache-control"]
    shown = await client.get(f"{BASE}/shares/{share_id}")
    assert shown.headers["cache-control"] == "no-store"


async def test_a_refused_download_is_not_audited_as_a_download(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    totp = await _enrolled(cps_platform, force_id)
    share_id = await _share(
        client, await api_headers(cps_platform, world.scene.force_id, "o@kent.test"), world
    )
    await _sign_in(client, totp)
    async with force_transaction(cps_platform, force_id) as tx:  # withheld after sharing
        item = await tx.session.get(EvidenceItem, world.disclosure.id)
        assert item is not None
        item.sensitive = True

    refused = await client.get(f"{BASE}/shares/{share_id}/bundle")
    assert refused.status_code == 404
    assert await _events(cps_platform, force_id, share_id, "share.downloaded") == 0
    # The list says it was withdrawn, rather than offering a link that goes nowhere.
    listing = await client.get(f"{BASE}/")
    assert f"/partner/shares/{share_id}" not in listing.text
    assert "withdrawn by the force: contact the officer in charge of the case" in listing.text


async def test_refusals_are_partner_pages_that_say_what_to_do(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    totp = await _enrolled(cps_platform, world.scene.force_id)
    officer = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    view_only = await _share(client, officer, world, allow_download=False)
    await _sign_in(client, totp)

    no_download = await client.get(f"{BASE}/shares/{view_only}/bundle")
    assert no_download.status_code == 403
    assert "shared this evidence for viewing only" in no_download.text
    assert await _events(cps_platform, world.scene.force_id, view_only, "share.downloaded") == 0

    revoked = await client.post(
        f"/api/v1/shares/{view_only}/revoke", json={"reason": "case discontinued"}, headers=officer
    )
    assert revoked.status_code == 201
    for address in (f"{BASE}/shares/{view_only}", f"{BASE}/shares/{view_only + 50}"):
        gone = await client.get(address)
        assert gone.status_code == 404
        assert "This share is not available" in gone.text
        assert "contact the officer in charge of the case" in gone.text
        assert f'href="{BASE}/"' in gone.text  # back to their list, not the officer app
        assert 'href="/cases"' not in gone.text
        assert "Signed in as prosecutor@cps.test" in gone.text


async def test_a_sign_in_holding_a_nul_is_refused_not_a_failure(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    await make_world(cps_platform)
    refused = await _post_sign_in(client, PASSWORD, "123456", email="pro\x00secutor@cps.test")
    # Refused before the sign-in runs (exhibit.web.request_guard): no failure is counted.
    assert refused.status_code == 400
    assert "There is a problem with this address or form" in refused.text


async def test_form_errors_name_the_field_to_fix(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    page = await client.get(f"{BASE}/sign-in")
    assert "Kent Police" in page.text
    refused = await client.post(
        f"{BASE}/sign-in",
        data={
            "_csrf_token": form_token(page.text),
            "email": PROSECUTOR,
            "password": "wrong",
            "code": "1",
        },
    )
    assert refused.status_code == 400
    assert "<title>Error: Sign in" in refused.text
    assert '<a href="#email">Email, password or code is wrong</a>' in refused.text
    assert 'aria-describedby="email-error"' in refused.text

    async with force_transaction(cps_platform, world.scene.force_id) as tx:
        await invite_partner(
            tx.session,
            cps_platform.secret_box,
            world.scene.force_id,
            PROSECUTOR,
            invite_url=f"http://x.test{BASE}/invite",
            actor="test",
        )
    invite = await invite_path(cps_platform, world.scene.force_id, PROSECUTOR)
    used = await client.get(f"{BASE}/invite/not-a-token")
    assert used.status_code == 404
    assert "This invitation link is not valid or has already been used" in used.text
    assert f'href="{BASE}/sign-in"' in used.text
    form = await client.get(invite)
    assert form.headers["cache-control"] == "no-store"  # it shows the two-factor secret
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', form.text)
    assert secret is not None
    wrong = "000000" if pyotp.TOTP(secret.group(1)).now() != "000000" else "111111"
    for password, confirm, code, field in (
        (PASSWORD, PASSWORD, wrong, "code"),
        (PASSWORD, PASSWORD + "!", pyotp.TOTP(secret.group(1)).now(), "password"),
        ("short", "short", pyotp.TOTP(secret.group(1)).now(), "password"),
    ):
        answer = await client.post(
            invite,
            data={
                "_csrf_token": form_token(form.text),
                "password": password,
                "confirm": confirm,
                "code": code,
            },
        )
        assert answer.status_code == 400
        assert "<title>Error: Set up your sign-in" in answer.text
        assert f'<a href="#{field}">' in answer.text
        assert f'aria-describedby="{field}-error"' in answer.text


async def test_continuity_is_in_words_and_names_officers_not_the_witness(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    totp = await _enrolled(cps_platform, world.scene.force_id)
    officer = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    share_id = await _share(client, officer, world)
    other = await _share(client, officer, world, recipient="other@cps.test")
    revoked = await client.post(
        f"/api/v1/shares/{other}/revoke",
        json={"reason": "sent to the wrong lawyer"},
        headers=officer,
    )
    assert revoked.status_code in (200, 201), revoked.text
    await _sign_in(client, totp)

    await client.get(f"{BASE}/shares/{share_id}")
    shown = (await client.get(f"{BASE}/shares/{share_id}")).text
    assert 'data-action="share.viewed"' in shown  # this share's own steps are there
    assert 'data-action="share.revoked"' not in shown  # another share's are not
    assert re.search(r"\d{2}:\d{2}:\d{2} (GMT|BST): Received, by the witness</li>", shown)
    assert re.search(r"\d{2}:\d{2}:\d{2} (GMT|BST): Shared, by Someone \(officer\)</li>", shown)
    assert 'data-action="evidence.received"' in shown
    assert "by user:" not in shown and "witness:request" not in shown
    assert "Sam Witness" not in shown  # the bundle gives the witness's reference instead
    assert "other@cps.test" not in shown


async def test_signing_out_is_audited(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    totp = await _enrolled(cps_platform, world.scene.force_id)
    await _sign_in(client, totp)
    listing = await client.get(f"{BASE}/")
    out = await client.post(
        f"{BASE}/sign-out", data={"_csrf_token": form_token(listing.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert (await client.get(f"{BASE}/", follow_redirects=False)).status_code == 303
    async with cps_platform.force_session(world.scene.force_id) as session:
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "partner")
                .order_by(AuditEvent.seq)
            )
        )
    assert actions[-2:] == ["partner.signed_in", "partner.signed_out"]


async def test_an_expired_share_is_refused_on_the_next_request(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    totp = await _enrolled(cps_platform, force_id)
    officer = await api_headers(cps_platform, force_id, "o@kent.test")
    share_id = await _share(client, officer, world)
    await _sign_in(client, totp)
    assert (await client.get(f"{BASE}/shares/{share_id}")).status_code == 200
    async with force_transaction(cps_platform, force_id) as tx:
        share = await tx.session.get(Share, share_id)
        assert share is not None
        share.expires_at = utcnow() - timedelta(seconds=1)

    assert f"{BASE}/shares/{share_id}" not in (await client.get(f"{BASE}/")).text
    assert (await client.get(f"{BASE}/shares/{share_id}")).status_code == 404
    assert (await client.get(f"{BASE}/shares/{share_id}/bundle")).status_code == 404
    assert await _events(cps_platform, force_id, share_id, "share.viewed") == 1
    assert await _events(cps_platform, force_id, share_id, "share.downloaded") == 0


async def test_a_locked_out_prosecutor_is_told_to_wait(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    totp = await _enrolled(cps_platform, world.scene.force_id)

    wrong = [
        await _post_sign_in(client, "not the passphrase", totp.now()) for _ in range(MAX_FAILURES)
    ]
    right = await _post_sign_in(client, PASSWORD, totp.now())

    assert [r.status_code for r in wrong] == [400] * (MAX_FAILURES - 1) + [429]
    assert "Email, password or code is wrong" in wrong[0].text
    for refused in (wrong[-1], right):
        assert "Too many failed attempts. Wait 15 minutes, then try again." in refused.text
    assert right.status_code == 429
