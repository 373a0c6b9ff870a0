"""In Chromium: an officer signs in and shares two accepted exhibits (one with a redacted
copy) through the sharing form; a prosecutor accepts the invitation, signs in with a code,
sees exactly those two (the redacted copy, not the original) and downloads the bundle; the
officer revokes the share from the case's shares list and the prosecutor's next request is
refused; the audit log shows both sides."""

import hashlib
import re
from pathlib import Path
from typing import Any

import pyotp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from exhibit.audit.models import AuditEvent
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.sharing.bundle_verify import verify_bundle
from exhibit.sharing.signing import public_raw, signing_key
from tests.fixtures.officer import PASSWORD as OFFICER_PASSWORD
from tests.fixtures.officer import Person
from tests.fixtures.tus_client import serving
from tests.fixtures.two_factor import EnrolledPerson, enrol, next_code
from tests.share_cps.helpers import PASSWORD, PROSECUTOR, drain, invite_path, read_bundle
from tests.share_cps.world import World, cps_plugins, make_world


async def _submit(page: Any, selector: str = "button[type=submit]") -> None:
    async with page.expect_navigation():
        await page.click(selector)


async def _officer_signs_in(page: Any, base: str, officer: EnrolledPerson) -> None:
    await page.goto(f"{base}/")
    await page.fill("#email", officer.email)
    await page.fill("#password", OFFICER_PASSWORD)
    await _submit(page)
    assert "/sign-in/code" in page.url
    await page.fill("#code", await next_code(officer.secret))
    await _submit(page, "text=Continue")


async def _officer_shares(page: Any, base: str, world: World) -> int:
    """From the case page, share the two exhibits through the form; the share's id."""
    await page.goto(f"{base}/cases/{world.scene.case_id}")
    await _submit(page, "text=Share with the CPS")
    assert await page.is_disabled(f"#item-{world.sensitive.id}")
    await page.check(f"#item-{world.redacted.id}")
    await page.check(f"#item-{world.disclosure.id}")
    await page.check("#target-cps_portal")
    await page.fill("#recipient", PROSECUTOR)
    await page.fill("#expires_in_days", "14")
    await page.check("#allow_download")
    await _submit(page, "[data-action=share]")
    found = re.search(r"/shares/(\d+)$", page.url)
    assert found, page.url
    assert "Shared 2 exhibits with prosecutor@cps.test." in await page.inner_text("main")
    copies = await page.locator("[data-shared-items] [data-copy]").all_inner_texts()
    assert copies == ["redacted", "disclosure"]
    return int(found.group(1))


async def _officer_revokes(page: Any, base: str, world: World, share_id: int) -> None:
    """From the case's shares list: revoke, confirm with a reason."""
    await page.goto(f"{base}/cases/{world.scene.case_id}/shares")
    await _submit(page, f"#share-{share_id} [data-action=revoke]")
    await page.fill("#reason", "case discontinued")
    await _submit(page, "[data-action=confirm-revoke]")
    assert await page.inner_text(f"#share-{share_id} [data-state]") == "revoked"


async def test_an_officer_shares_and_revokes_and_a_prosecutor_works_in_a_browser(
    cps_platform: Platform, settings: Settings, chromium: Any, tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    officer = await enrol(
        cps_platform, Person(force_id, world.scene.officer_id, "officer@kent.test")
    )
    with serving(settings, cps_plugins()) as server:
        desk = await (await chromium.new_context()).new_page()
        await _officer_signs_in(desk, server.url, officer)
        share_id = await _officer_shares(desk, server.url, world)
        await drain(cps_platform)

        page = await (await chromium.new_context(accept_downloads=True)).new_page()
        await page.goto(server.url + await invite_path(cps_platform, force_id, PROSECUTOR))
        totp = pyotp.TOTP((await page.inner_text("#secret")).strip())
        await page.fill("#password", PASSWORD)
        await page.fill("#confirm", PASSWORD)
        await page.fill("#code", totp.now())
        await _submit(page)
        assert page.url.endswith("/partner/sign-in")
        await page.fill("#email", PROSECUTOR)
        await page.fill("#password", PASSWORD)
        await page.fill("#code", totp.now())
        await _submit(page)
        await _submit(page, f"a[href$='/shares/{share_id}']")

        text = await page.inner_text("main")
        assert re.findall(r"PT/\d", text) == ["PT/1", "PT/2"]
        copies = await page.locator("[data-copy]").all_inner_texts()
        assert copies == ["redacted", "disclosure"]
        hashes = await page.locator("[data-shared-sha256]").all_inner_texts()
        assert hashes[0] == hashlib.sha256(world.redacted.derivative or b"").hexdigest()
        assert hashlib.sha256(world.redacted.original).hexdigest() not in hashes

        async with page.expect_download() as waiting:
            await page.click("text=Download the signed bundle")
        bundle = tmp_path / "bundle.zip"
        await (await waiting.value).save_as(bundle)
        async with force_transaction(cps_platform, force_id) as tx:
            key = await signing_key(tx.session, cps_platform.secret_box, force_id, actor="t")
        assert verify_bundle(bundle, Ed25519PublicKey.from_public_bytes(public_raw(key))).ok
        manifest, members = read_bundle(bundle.read_bytes())
        assert members[manifest["exhibits"][0]["file"]["path"]] == world.redacted.derivative

        await _officer_revokes(desk, server.url, world, share_id)
        refused = await page.reload()
        assert refused is not None and refused.status == 404

    async with cps_platform.force_session(force_id) as session:
        events = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.actor)
                .where(AuditEvent.object_type == "share", AuditEvent.object_id == str(share_id))
                .order_by(AuditEvent.seq)
            )
        ).all()
    pairs = {(action, actor) for action, actor in events}
    sides = {(action, actor.split(":")[0]) for action, actor in pairs}
    the_officer = f"user:{officer.user_id}"
    assert {("share.created", the_officer), ("share.revoked", the_officer)} <= pairs
    assert {("share.viewed", "partner"), ("share.downloaded", "partner")} <= sides
