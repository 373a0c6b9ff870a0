"""Hostile and damaged bundles: `exhibit verify` refuses each one by name, never crashes.

Each bundle starts as a real export of a real share, then is damaged the way someone
holding the file could damage it: bytes edited in place, members duplicated, control files
replaced by junk or by bombs, names that escape the folder, links, overlapping entries.
"""

import io
import json
import stat
import struct
import warnings
import zipfile
from pathlib import Path

from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exhibit.cli.main import cli
from exhibit.platform import Platform
from exhibit.sharing.bundle_format import b64, key_fingerprint
from tests.share_cps.helpers import read_bundle, rewrite_bundle
from tests.share_cps.test_bundle import _bundle
from tests.share_cps.world import make_world


def _run(folder: Path, bundle: bytes, key: Ed25519PrivateKey) -> Result:
    """``exhibit verify`` on ``bundle`` with ``key``'s public half; a crash fails the test."""
    pem = folder / "key.pem"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    path = folder / "hostile.zip"
    path.write_bytes(bundle)
    result = CliRunner().invoke(cli, ["verify", str(path), "--public-key", str(pem)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def _resign(bundle: bytes, manifest: dict[str, object], key: Ed25519PrivateKey) -> bytes:
    """The bundle with ``manifest`` in place of its own, correctly signed by ``key``."""
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = {
        "algorithm": "Ed25519",
        "key_fingerprint": key_fingerprint(raw),
        "signature": b64(key.sign(manifest_bytes)),
    }
    return rewrite_bundle(
        bundle,
        {"manifest.json": manifest_bytes, "signature.json": json.dumps(signature).encode()},
    )


def _with_member(bundle: bytes, info: zipfile.ZipInfo, data: bytes, *, first: bool) -> bytes:
    """A copy of ``bundle`` with one more member, written before or after the others."""
    out = io.BytesIO()
    with (
        warnings.catch_warnings(),
        zipfile.ZipFile(io.BytesIO(bundle)) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        warnings.simplefilter("ignore")  # "Duplicate name": the point of some tests
        if first:
            target.writestr(info, data)
        for member in source.infolist():
            target.writestr(member, source.read(member.filename))
        if not first:
            target.writestr(info, data)
    return out.getvalue()


def _alias_first_entry(bundle: bytes, alias: str) -> bytes:
    """A copy whose central directory names the first member's data twice (a ZIP bomb's trick).

    The alias's record is the first record with another name of the same length; both
    point at the same stored bytes.
    """
    end = bundle.rindex(b"PK\x05\x06")
    entries, size, offset = struct.unpack("<HIIxx", bundle[end + 10 : end + 22])[0:3]
    directory = bundle[offset : offset + size]
    name_length = struct.unpack("<H", directory[28:30])[0]
    extra, comment = struct.unpack("<HH", directory[30:34])
    first = directory[: 46 + name_length + extra + comment]
    assert len(alias.encode()) == name_length
    copy = first[:46] + alias.encode() + first[46 + name_length :]
    record = bytearray(bundle[end : end + 22])
    struct.pack_into("<HHII", record, 8, entries + 1, entries + 1, size + len(copy), offset)
    return bundle[:offset] + directory + copy + bytes(record)


async def test_hostile_bundles_are_refused_by_name_without_a_crash(
    cps_platform: Platform, tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    bundle = await _bundle(cps_platform, world, tmp_path)
    manifest, members = read_bundle(bundle)
    path = manifest["exhibits"][0]["file"]["path"]
    key = Ed25519PrivateKey.generate()
    signed = _resign(bundle, manifest, key)
    assert _run(tmp_path, signed, key).exit_code == 0

    # One byte of a stored evidence file edited in place in the ZIP: the CRC no longer
    # matches, which used to crash the verifier with BadZipFile.
    at = signed.index(members[path][:64]) + 100
    edited = bytearray(signed)
    edited[at] ^= 0x01
    result = _run(tmp_path, bytes(edited), key)
    assert result.exit_code == 1
    assert f"FAILED {path}: cannot be read" in result.output

    # A forged copy of an evidence file added under the same name, before the real one:
    # Python reads the last, other tools extract the first. This used to verify "OK".
    forged = bytearray(members[path])
    forged[100] ^= 0x01
    twice = _with_member(signed, zipfile.ZipInfo(path), bytes(forged), first=True)
    result = _run(tmp_path, twice, key)
    assert result.exit_code == 1
    assert f"FAILED {path}: appears more than once in the ZIP" in result.output

    # Manifest or signature replaced by something that is not JSON (used to crash).
    for name in ("manifest.json", "signature.json"):
        result = _run(tmp_path, rewrite_bundle(signed, {name: b"\x00not json"}), key)
        assert result.exit_code == 1
        assert f"FAILED {name}: " in result.output

    # A manifest bomb: tens of megabytes of zeros, refused before it is read.
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(signed)) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            if member.filename == "manifest.json":
                target.writestr(
                    "manifest.json", bytes(65 * 1024 * 1024), compress_type=zipfile.ZIP_DEFLATED
                )
            else:
                target.writestr(member, source.read(member.filename))
    bomb = out.getvalue()
    assert len(bomb) < 1024 * 1024
    result = _run(tmp_path, bomb, key)
    assert result.exit_code == 1
    assert "FAILED manifest.json: is 68157440 bytes, more than the" in result.output

    # Entries that overlap: two names for the same stored bytes.
    first_name = zipfile.ZipFile(io.BytesIO(signed)).infolist()[0].filename
    alias = "files/" + "z" * (len(first_name) - len("files/"))
    result = _run(tmp_path, _alias_first_entry(signed, alias), key)
    assert result.exit_code == 1
    assert "overlapping entries" in result.output

    # Names that would escape the extraction folder, and a symbolic link.
    for name in ("../evil.sh", "/etc/cron.d/evil", "files/..\\evil.bat"):
        result = _run(tmp_path, _with_member(signed, zipfile.ZipInfo(name), b"x", first=False), key)
        assert result.exit_code == 1
        assert "is not a safe relative path" in result.output
    link = zipfile.ZipInfo("files/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    result = _run(tmp_path, _with_member(signed, link, b"/etc/passwd", first=False), key)
    assert result.exit_code == 1
    assert "FAILED files/link: is a symbolic link" in result.output


async def test_a_signed_manifest_that_lists_one_file_twice_is_refused(
    cps_platform: Platform, tmp_path: Path
) -> None:
    world = await make_world(cps_platform)
    bundle = await _bundle(cps_platform, world, tmp_path)
    manifest, _ = read_bundle(bundle)
    first, second = manifest["exhibits"]
    path = first["file"]["path"]
    second["file"] = first["file"]
    key = Ed25519PrivateKey.generate()
    result = _run(tmp_path, _resign(bundle, manifest, key), key)
    assert result.exit_code == 1
    assert f"FAILED {path}: is listed in the manifest more than once" in result.output
