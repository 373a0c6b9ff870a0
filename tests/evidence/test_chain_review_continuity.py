"""Continuity as a court's reviewer reads it: every share's steps, times with their zone."""

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from exhibit.db.base import utcnow
from exhibit.evidence.continuity import continuity
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.sharing.bundle import export_bundle
from exhibit.sharing.models import PartnerAccount
from exhibit.sharing.service import (
    NewShare,
    create_share,
    find_share,
    record_access,
    revoke_share,
)
from tests.evidence.arrivals import arrived, png
from tests.fixtures.officer import browser, sign_in
from tests.fixtures.witness import make_scene
from tests.share_cps.world import World, cps_plugins, make_world


@pytest.fixture
async def cps_platform(settings: Settings) -> AsyncIterator[Platform]:
    """A platform with share_cps installed, over the test's database."""
    platform = Platform(settings, cps_plugins())
    yield platform
    await platform.close()


async def _share(platform: Platform, world: World) -> int:
    async with force_transaction(platform, world.scene.force_id) as tx:
        share = await create_share(
            tx,
            NewShare(
                case_id=world.scene.case_id,
                item_ids=(world.redacted.id, world.disclosure.id),
                recipient="prosecutor@cps.test",
                expires_at=utcnow() + timedelta(days=7),
                target="cps_portal",
                allow_download=True,
            ),
            targets={"cps_portal": "share_cps"},
            user_id=world.scene.officer_id,
            actor=f"user:{world.scene.officer_id}",
        )
    return share.id


async def test_the_history_holds_what_happened_to_each_share_of_the_item(
    cps_platform: Platform, tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    share_id = await _share(cps_platform, world)
    async with force_transaction(cps_platform, force_id) as tx:
        account = PartnerAccount(
            force_id=force_id, email="prosecutor@cps.test", totp_secret_encrypted=""
        )
        tx.session.add(account)
        await tx.session.flush()
        partner = f"partner:{account.id}"
    with (tmp_path / "bundle.zip").open("wb") as out:
        await export_bundle(cps_platform, force_id, share_id, out, actor=partner)
    async with force_transaction(cps_platform, force_id) as tx:
        share = await find_share(tx.session, share_id)
        await record_access(tx.session, share, "share.viewed", actor=partner)
        # Opening another exhibit of the share is not a step of this one.
        await record_access(
            tx.session, share, "share.downloaded", actor=partner, item_id=world.disclosure.id
        )
        await revoke_share(tx.session, share_id, actor="test", reason="wrong recipient")

    async with cps_platform.force_session(force_id) as session:
        item = await session.get(EvidenceItem, world.redacted.id)
        assert item is not None
        steps = await continuity(session, item)
    actions = [s.action for s in steps]
    for action in ("item.shared", "share.bundle_exported", "share.revoked", "share.viewed"):
        assert action in actions, action
    assert "share.downloaded" not in actions
    revoked = next(s for s in steps if s.action == "share.revoked")
    assert revoked.reason == "wrong recipient"
    assert f"share={share_id}" in revoked.detail
    assert revoked.audit_seq is not None and len(revoked.audit_hash) == 64
    exported = next(s for s in steps if s.action == "share.bundle_exported")
    assert exported.label == "Share bundle exported" and exported.actor == partner
    assert exported.who == "prosecutor@cps.test (partner)"


async def test_the_printed_history_names_the_time_zone_and_the_second(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        page = await client.get(f"/items/{item_id}/continuity")
        got = await client.get(f"/items/{item_id}/continuity.csv")
    assert page.status_code == 200
    received = re.search(r'data-action="evidence.received">\s*<td[^>]*>(.*?)</td>', page.text)
    assert received is not None
    # e.g. 07 Dec 2026 07:52:01 GMT, with the instant in UTC for machines
    assert re.search(r"\d\d:\d\d:\d\d (GMT|BST)</time>", received.group(1)), received.group(1)
    assert re.search(r'<time datetime="[^"]+\+00:00">', received.group(1))
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert rows[0]["time_utc"].endswith("+00:00")
