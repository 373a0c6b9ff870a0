"""Bundles as a prosecutor and a defence expert check them: what the log says, what passes."""

import io
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from exhibit.audit.chain import ChainedEvent, event_hash
from exhibit.audit.models import AuditEvent
from exhibit.audit.verify import verify_force_chain
from exhibit.cli.main import cli
from exhibit.db.base import utcnow
from exhibit.evidence.continuity import continuity
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.sharing.bundle import BundleIntegrityError, export_bundle
from exhibit.sharing.service import NewShare, create_share
from exhibit.sharing.signing import public_key_pem, signing_key
from tests.share_cps.helpers import read_bundle, rewrite_bundle
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
                item_ids=(world.redacted.id,),
                recipient="prosecutor@cps.test",
                expires_at=utcnow() + timedelta(days=7),
                target="cps_portal",
            ),
            targets={"cps_portal": "share_cps"},
            user_id=world.scene.officer_id,
            actor=f"user:{world.scene.officer_id}",
        )
    return share.id


async def _bundle_and_key(platform: Platform, world: World, folder: Path) -> tuple[bytes, Path]:
    share_id = await _share(platform, world)
    path = folder / "bundle.zip"
    with path.open("wb") as out:
        await export_bundle(platform, world.scene.force_id, share_id, out, actor="test")
    async with force_transaction(platform, world.scene.force_id) as tx:
        key = await signing_key(tx.session, platform.secret_box, tx.force.id, actor="test")
    pem = folder / "force.pem"
    pem.write_text(public_key_pem(key))
    return path.read_bytes(), pem


def _verify(folder: Path, bundle: bytes, key: Path) -> tuple[int, str]:
    path = folder / "received.zip"
    path.write_bytes(bundle)
    result = CliRunner().invoke(cli, ["verify", str(path), "--public-key", str(key)])
    return result.exit_code, result.output


async def test_an_export_stopped_by_a_changed_file_is_in_the_log_not_only_its_start(
    cps_platform: Platform, settings: Settings, tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    share_id = await _share(cps_platform, world)
    async with cps_platform.force_session(force_id) as session:
        derivative = await session.get(Derivative, world.redacted.derivative_id)
        assert derivative is not None
    stored = settings.storage_dir / "kent" / "objects" / derivative.storage_key
    stored.write_bytes(b"someone changed the redacted copy on disk")

    with pytest.raises(BundleIntegrityError), (tmp_path / "b.zip").open("wb") as out:
        await export_bundle(cps_platform, force_id, share_id, out, actor="test")

    async with cps_platform.force_session(force_id) as session:
        events = (await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
        actions = [e.action for e in events]
        exported = actions.index("share.bundle_exported")
        assert actions[exported + 1 :] == ["item.integrity_failed", "share.bundle_export_failed"]
        integrity, failed = events[-2], events[-1]
        assert (integrity.object_type, integrity.object_id) == ("item", str(world.redacted.id))
        assert integrity.details["expected_sha256"] == derivative.output_sha256
        assert integrity.details["found_sha256"] != derivative.output_sha256
        assert integrity.details["derivative_id"] == derivative.id
        assert "no longer matches" in integrity.reason
        assert failed.details["export_event"] == events[exported].seq
        item = await session.get(EvidenceItem, world.redacted.id)
        assert item is not None
        history = [s.action for s in await continuity(session, item)]
        assert (await verify_force_chain(session, force_id)).ok
    assert "item.integrity_failed" in history and "share.bundle_export_failed" in history


async def test_a_folder_entry_holding_bytes_added_to_the_bundle_fails_verification(
    cps_platform: Platform, tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    bundle, key = await _bundle_and_key(cps_platform, world, tmp_path)
    code, output = _verify(tmp_path, bundle, key)
    assert code == 0
    # The prosecutor checks the key with the force through another channel.
    assert f"fingerprint is {read_bundle(bundle)[0]['signing_key']}" in output
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("files/extra/", b"bytes the manifest does not cover")
    code, output = _verify(tmp_path, out.getvalue(), key)
    assert code == 1
    assert "FAILED files/extra/: is in the bundle but not listed in the manifest" in output


async def test_an_event_whose_time_lost_its_zone_fails_verification(
    cps_platform: Platform, tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    bundle, key = await _bundle_and_key(cps_platform, world, tmp_path)
    _, members = read_bundle(bundle)
    lines = members["audit/segment.jsonl"].splitlines(keepends=True)
    full = next(i for i, line in enumerate(lines) if json.loads(line)["form"] == "event")
    event = json.loads(lines[full])
    assert event["content"]["occurred_at"].endswith("Z")
    event["content"]["occurred_at"] = event["content"]["occurred_at"][:-1]  # no zone
    lines[full] = json.dumps(event).encode() + b"\n"
    seq = event["content"]["seq"]
    code, output = _verify(
        tmp_path, rewrite_bundle(bundle, {"audit/segment.jsonl": b"".join(lines)}), key
    )
    assert code == 1, output
    assert f"FAILED audit/segment.jsonl: line {full + 1}" in output
    assert "time zone" in output or "timezone" in output
    assert seq > 0


def test_a_time_without_a_zone_cannot_be_hashed() -> None:
    naive = ChainedEvent(
        force_id=1,
        seq=1,
        occurred_at=utcnow().replace(tzinfo=None),
        actor="system",
        action="x",
        object_type="item",
        object_id="1",
        reason="",
        details={},
        prev_hash="0" * 64,
    )
    with pytest.raises(ValueError, match="time zone"):
        event_hash(naive)
