"""Checking a share bundle offline with only the force's public key.

Every check is made and every failure reported, each naming what failed: a file whose bytes
differ from the manifest, a manifest that does not match its signature, a signature by
another key, or the audit event at which the chain breaks. No database, no network.
"""

import base64
import binascii
import hashlib
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from exhibit.audit.segment import walk
from exhibit.sharing.bundle_format import (
    AUDIT_SEGMENT,
    MANIFEST,
    SIGNATURE,
    BundleFile,
    Manifest,
    Signature,
    key_fingerprint,
)

_CHUNK = 1024 * 1024
_MAX_MANIFEST = 64 * 1024 * 1024
_MAX_SIGNATURE = 64 * 1024
_MAX_SEGMENT_LINE = 16 * 1024 * 1024
# What reading a hostile or damaged member can raise: bad CRC or header, truncated or corrupt
# deflate data, unsupported compression or version, encryption, undecodable names.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    OSError,
    ValueError,
)


class Finding(msgspec.Struct, frozen=True):
    """One failed check: the part of the bundle (``subject``) and what is wrong with it."""

    subject: str
    problem: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}"


class BundleReport(msgspec.Struct, frozen=True):
    """The outcome of verifying a bundle; ``ok`` when nothing failed."""

    findings: list[Finding]
    exhibits: int = 0
    audit_events: int = 0

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return not self.findings


def load_public_key(pem_or_hex: bytes) -> Ed25519PublicKey:
    """A public key from a PEM file, or from its raw 32 bytes written as 64 hex digits.

    Raises ``ValueError`` for anything else.
    """
    text = pem_or_hex.strip()
    if text.startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(text)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the public key is not an Ed25519 key")
        return key
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.decode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("the public key is neither PEM nor 64 hex digits") from exc


def verify_bundle(path: Path, public_key: Ed25519PublicKey) -> BundleReport:
    """Check a bundle's signature, files and audit segment; report every failure.

    A hostile or damaged ZIP (duplicate or unsafe member names, links, overlapping entries,
    oversized control files, bad CRCs, unsupported compression) is reported as a finding,
    never raised: nothing is extracted and memory stays bounded.
    """
    try:
        bundle = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        return BundleReport([Finding(str(path), f"not a readable ZIP bundle ({exc})")])
    with bundle:
        refused = _check_members(bundle, path.stat().st_size)
        if refused:
            return BundleReport(refused)
        names = set(bundle.namelist())
        for required in (MANIFEST, SIGNATURE, AUDIT_SEGMENT):
            if required not in names:
                return BundleReport([Finding(required, "is missing from the bundle")])
        manifest_bytes = _read_small(bundle, MANIFEST, _MAX_MANIFEST)
        signature_bytes = _read_small(bundle, SIGNATURE, _MAX_SIGNATURE)
        if isinstance(manifest_bytes, Finding) or isinstance(signature_bytes, Finding):
            return BundleReport(
                [f for f in (manifest_bytes, signature_bytes) if isinstance(f, Finding)]
            )
        findings = list(_check_signature(manifest_bytes, signature_bytes, public_key))
        try:
            manifest = msgspec.json.decode(manifest_bytes, type=Manifest)
        except msgspec.DecodeError as exc:
            return BundleReport([*findings, Finding(MANIFEST, f"is not a valid manifest ({exc})")])
        listed = [e.file for e in manifest.exhibits] + [manifest.schedule]
        seen = {MANIFEST, SIGNATURE, AUDIT_SEGMENT}
        for entry in listed:
            if entry.path in seen:
                findings.append(Finding(entry.path, "is listed in the manifest more than once"))
                continue
            seen.add(entry.path)
            findings += _check_file(bundle, names, entry)
        for exhibit in manifest.exhibits:
            if exhibit.provenance and exhibit.provenance.output_sha256 != exhibit.file.sha256:
                findings.append(
                    Finding(exhibit.file.path, "provenance names a different output hash")
                )
        # Folder entries too: the exporter writes none, and one named "x/" can hold bytes.
        findings += [
            Finding(name, "is in the bundle but not listed in the manifest")
            for name in sorted(names - seen)
        ]
        events, chain = _check_segment(bundle, manifest)
        findings += chain
    return BundleReport(findings, exhibits=len(manifest.exhibits), audit_events=events)


def _check_members(bundle: zipfile.ZipFile, archive_size: int) -> list[Finding]:
    """Refuse a ZIP that different tools would read differently, or that expands without end.

    Two members with one name (tools disagree on which one is "the" file), names that would
    escape the folder they are extracted to, symbolic links, and entries whose stored data
    overlap or exceed the archive (the trick of ZIP bombs) are each reported.
    """
    findings: list[Finding] = []
    seen: set[str] = set()
    stored = 0
    for info in bundle.infolist():
        name = info.filename
        if name in seen:
            findings.append(Finding(name, "appears more than once in the ZIP"))
        seen.add(name)
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or ":" in name or ".." in parts:
            findings.append(Finding(repr(name), "is not a safe relative path"))
        if stat.S_ISLNK(info.external_attr >> 16):
            findings.append(Finding(name, "is a symbolic link, not a file"))
        stored += info.compress_size
    if stored > archive_size:
        findings.append(
            Finding(
                "bundle",
                "its entries claim more stored bytes than the file holds (overlapping entries, "
                "as in a ZIP bomb)",
            )
        )
    return findings


def _read_small(bundle: zipfile.ZipFile, name: str, limit: int) -> bytes | Finding:
    """A control member's bytes, or a finding if it is too large or cannot be read."""
    info = bundle.getinfo(name)
    if info.file_size > limit:
        return Finding(name, f"is {info.file_size} bytes, more than the {limit} allowed")
    try:
        return bundle.read(info)
    except _ZIP_ERRORS as exc:
        return Finding(name, f"cannot be read ({exc}): it was altered or damaged")


def _check_signature(
    manifest_bytes: bytes, signature_bytes: bytes, public_key: Ed25519PublicKey
) -> Iterator[Finding]:
    try:
        signature = msgspec.json.decode(signature_bytes, type=Signature)
    except msgspec.DecodeError as exc:
        yield Finding(SIGNATURE, f"is not a valid signature file ({exc})")
        return
    given = key_fingerprint(
        public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    if signature.algorithm != "Ed25519":
        yield Finding(SIGNATURE, f"uses {signature.algorithm!r}, not Ed25519")
        return
    if signature.key_fingerprint != given:
        yield Finding(
            SIGNATURE,
            f"was made by another key (fingerprint {signature.key_fingerprint[:16]}…), "
            f"not the public key given ({given[:16]}…)",
        )
        return
    try:
        public_key.verify(_unb64(signature.signature), manifest_bytes)
    except (InvalidSignature, ValueError):
        yield Finding(MANIFEST, "does not match its signature: it was altered after it was signed")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("signature is not base64") from exc


def _check_file(bundle: zipfile.ZipFile, names: set[str], entry: BundleFile) -> list[Finding]:
    if entry.path not in names:
        return [Finding(entry.path, "is listed in the manifest but missing from the bundle")]
    info = bundle.getinfo(entry.path)
    if info.file_size != entry.size:
        return [
            Finding(
                entry.path,
                f"is {info.file_size} bytes, the manifest says {entry.size}: the file was altered",
            )
        ]
    digest, size = hashlib.sha256(), 0
    try:
        with bundle.open(info) as data:
            while chunk := data.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except _ZIP_ERRORS as exc:
        return [Finding(entry.path, f"cannot be read ({exc}): the file was altered or damaged")]
    if digest.hexdigest() != entry.sha256 or size != entry.size:
        return [
            Finding(
                entry.path,
                f"SHA-256 is {digest.hexdigest()}, the manifest says {entry.sha256}: "
                "the file was altered",
            )
        ]
    return []


def _check_segment(bundle: zipfile.ZipFile, manifest: Manifest) -> tuple[int, list[Finding]]:
    """Walk the segment, reporting a member that cannot be read rather than raising."""
    try:
        return _walk_segment(bundle, manifest)
    except _ZIP_ERRORS as exc:
        return 0, [Finding(AUDIT_SEGMENT, f"cannot be read ({exc}): it was altered or damaged")]


class _LineTooLong(Exception):
    """A segment line longer than any event could be."""


def _lines(segment: IO[bytes]) -> Iterator[bytes]:
    while raw := segment.readline(_MAX_SEGMENT_LINE + 1):
        if len(raw) > _MAX_SEGMENT_LINE:
            raise _LineTooLong
        yield raw


def _walk_segment(bundle: zipfile.ZipFile, manifest: Manifest) -> tuple[int, list[Finding]]:
    """Walk the segment (``exhibit.audit.segment.walk``), then hold it to the signed anchor."""
    anchor = manifest.audit
    subject = anchor.path
    with bundle.open(AUDIT_SEGMENT) as segment:
        try:
            found = walk(
                _lines(segment), first_seq=anchor.first_seq, start_prev_hash=anchor.start_prev_hash
            )
        except _LineTooLong:
            return 0, [Finding(subject, "a line is longer than allowed")]
    if found.problem is not None:
        return found.count, [Finding(subject, found.problem)]
    if found.last_seq != anchor.last_seq or found.last_hash != anchor.last_hash:
        return found.count, [
            Finding(
                subject,
                f"the segment ends at event {found.last_seq}, but the signed manifest says it "
                f"ends at event {anchor.last_seq} (events removed or added)",
            )
        ]
    if found.full_events != anchor.full_events:
        withheld = sorted(set(anchor.full_events) - set(found.full_events))
        return found.count, [
            Finding(subject, f"events {withheld} are not given in full as the manifest says")
        ]
    return found.count, []
