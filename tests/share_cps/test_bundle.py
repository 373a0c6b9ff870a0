"""The verifiable bundle: `exhibit verify` passes untouched and names each tampering."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exhibit.cli.main import cli
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.sharing.bundle import export_bundle
from exhibit.sharing.bundle_format import b64, key_fingerprint
from exhibit.sharing.service import NewShare, ShareRefused, create_share
from tests.fixtures.cli import run_exhibit
from tests.share_cps.helpers import read_bundle, rewrite_bundle
from tests.share_cps.world import World, make_world


async def _bundle(platform: Platform, world: World, folder: Path) -> bytes:
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
    path = folder / "bundle.zip"
    with path.open("wb") as out:
        await export_bundle(platform, world.scene.force_id, share.id, out, actor="test")
    return path.read_bytes()


def _verify(folder: Path, bundle: bytes, key: Path) -> tuple[int, str]:
    path = folder / "checked.zip"
    path.write_bytes(bundle)
    result = CliRunner().invoke(cli, ["verify", str(path), "--public-key", str(key)])
    return result.exit_code, result.output


async def test_the_bundle_verifies_with_the_forces_public_key_and_names_each_tampering(
    cps_platform: Platform, settings: Settings, tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    bundle = await _bundle(cps_platform, world, tmp_path)
    # In a process of its own: the plugin's commands as `python -m exhibit` finds them.
    exported = run_exhibit(settings, "share_cps", "public-key", "--force", "kent")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    key = tmp_path / "kent.pem"
    key.write_text(exported.stdout)

    code, output = _verify(tmp_path, bundle, key)
    assert code == 0, output
    assert "OK: 2 exhibits" in output
    manifest, members = read_bundle(bundle)
    path = manifest["exhibits"][0]["file"]["path"]

    # (a) one byte of an evidence file changed
    altered = bytearray(members[path])
    altered[100] ^= 0x01
    code, output = _verify(tmp_path, rewrite_bundle(bundle, {path: bytes(altered)}), key)
    assert code == 1
    assert f"FAILED {path}: SHA-256 is" in output
    assert "manifest.json" not in output and "audit" not in output

    # (b) the manifest edited
    edited = members["manifest.json"].replace(b"Doorbell camera still", b"Doorbell camera stilt")
    code, output = _verify(tmp_path, rewrite_bundle(bundle, {"manifest.json": edited}), key)
    assert code == 1
    assert "FAILED manifest.json: does not match its signature" in output
    assert path not in output

    # (c) signed by another key
    other = Ed25519PrivateKey.generate()
    other_raw = other.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    forged = json.dumps(
        {
            "algorithm": "Ed25519",
            "key_fingerprint": key_fingerprint(other_raw),
            "signature": b64(other.sign(members["manifest.json"])),
        }
    ).encode()
    code, output = _verify(tmp_path, rewrite_bundle(bundle, {"signature.json": forged}), key)
    assert code == 1
    assert "FAILED signature.json: was made by another key" in output

    # (d) an audit event removed from the segment
    lines = members["audit/segment.jsonl"].splitlines(keepends=True)
    removed = json.loads(lines[2])
    seq = removed["content"]["seq"] if removed["form"] == "event" else removed["seq"]
    shortened = b"".join(lines[:2] + lines[3:])
    code, output = _verify(
        tmp_path, rewrite_bundle(bundle, {"audit/segment.jsonl": shortened}), key
    )
    assert code == 1
    assert f"FAILED audit/segment.jsonl: event {seq} is missing" in output

    # (e) an audit event's content altered
    full = next(i for i, line in enumerate(lines) if json.loads(line)["form"] == "event")
    event = json.loads(lines[full])
    event["content"]["actor"] = "someone else"
    lines[full] = json.dumps(event).encode() + b"\n"
    code, output = _verify(
        tmp_path, rewrite_bundle(bundle, {"audit/segment.jsonl": b"".join(lines)}), key
    )
    assert code == 1
    assert f"event {event['content']['seq']} does not match its hash (altered)" in output


async def test_the_audit_segment_holds_the_items_events_in_full_and_only_links_of_others(
    cps_platform: Platform, tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    bundle = await _bundle(cps_platform, world, tmp_path)
    manifest, members = read_bundle(bundle)
    lines = [json.loads(line) for line in members["audit/segment.jsonl"].splitlines()]
    full = [line["content"] for line in lines if line["form"] == "event"]
    assert [e["seq"] for e in full] == manifest["audit"]["full_events"]
    actions = {(e["action"], e["object_id"]) for e in full}
    assert ("evidence.received", str(world.redacted.id)) in actions
    assert ("item.accepted", str(world.disclosure.id)) in actions
    assert ("item.shared", str(world.redacted.id)) in actions
    assert full[-1]["action"] == "share.bundle_exported"
    # The other exhibits' events (PT/3 is sensitive) are present only as links.
    assert all(
        e["object_id"] != str(world.sensitive.id) for e in full if e["object_type"] == "item"
    )
    links = [line for line in lines if line["form"] == "link"]
    assert links and set(links[0]) == {"form", "seq", "prev_hash", "hash"}
    assert manifest["audit"]["last_seq"] == full[-1]["seq"]


async def test_an_item_marked_sensitive_after_sharing_cannot_be_exported(
    cps_platform: Platform, tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    bundle = await _bundle(cps_platform, world, tmp_path)
    share_id = read_bundle(bundle)[0]["share"]["id"]

    async with force_transaction(cps_platform, world.scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, world.disclosure.id)
        assert item is not None
        item.sensitive = True
    out = tmp_path / "again.zip"
    with out.open("wb") as handle, pytest.raises(ShareRefused, match="PT/2 is marked sensitive"):
        await export_bundle(cps_platform, world.scene.force_id, share_id, handle, actor="test")
