"""The shape of a share bundle, shared by the code that writes one and ``exhibit verify``.

No database code here: a prosecutor (or anyone) checks a bundle offline with this module,
``exhibit.audit.chain`` and the force's public key.

A bundle is a ZIP holding:

* ``files/<n>-<reference>.<ext>``: the shared copy of each exhibit;
* ``schedule.html``: the MG6C-style schedule of exhibits, for people;
* ``audit/segment.jsonl``: the force's audit chain from the first event about these exhibits
  to the export, one event per line. Events about the shared exhibits and the share are
  given in full; any other event in between is given as a link only (``seq``,
  ``prev_hash``, ``hash``), enough to check the chain without disclosing it;
* ``manifest.json``: every file's SHA-256, each exhibit's description, the original's hash,
  the derivative's provenance, and the audit segment's anchors;
* ``signature.json``: an Ed25519 signature over the exact bytes of ``manifest.json``.
"""

import base64
import hashlib
from datetime import datetime
from typing import Any

import msgspec

FORMAT = "exhibit-share-bundle/1"
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
SCHEDULE = "schedule.html"
AUDIT_SEGMENT = "audit/segment.jsonl"
FILES_DIR = "files/"


class Provenance(msgspec.Struct, frozen=True, kw_only=True):
    """How a derivative was made, enough for a third party to reproduce it."""

    kind: str
    processor: str
    tool: str
    tool_version: str
    parameters: dict[str, Any]
    input_sha256: str
    output_sha256: str
    reason: str
    created_at: datetime


class BundleFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file in the bundle and the SHA-256 it must have."""

    path: str
    sha256: str
    size: int
    media_type: str = ""


class ManifestExhibit(msgspec.Struct, frozen=True, kw_only=True):
    """One exhibit: what it is, which copy is shared, and where that copy came from.

    ``copy`` is ``"redacted"``, ``"disclosure"`` (derivatives, with ``provenance``) or
    ``"original"`` (then ``original_reason`` says why the original was shared). ``item_id``
    is the item's id in the force's records: the audit segment's events about the exhibit
    name it (``object_type`` ``item``, ``object_id``). Bundles made before it was added lack
    it.
    """

    item_number: int
    exhibit_reference: str
    description: str
    witness_reference: str | None
    received_at: datetime
    original_filename: str
    original_sha256: str
    original_size: int
    copy: str
    file: BundleFile
    provenance: Provenance | None
    original_reason: str
    item_id: int | None = None


class AuditAnchor(msgspec.Struct, frozen=True, kw_only=True):
    """Where the audit segment starts and ends, and which of its events are given in full."""

    path: str
    first_seq: int
    start_prev_hash: str
    last_seq: int
    last_hash: str
    full_events: list[int]


class ShareSummary(msgspec.Struct, frozen=True, kw_only=True):
    """The share a bundle was exported from."""

    id: int
    case_reference: str
    recipient: str
    allow_download: bool
    created_at: datetime
    expires_at: datetime


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """The signed description of a bundle."""

    format: str
    force_slug: str
    force_name: str
    share: ShareSummary
    exported_at: datetime
    exported_by: str
    signing_key: str
    exhibits: list[ManifestExhibit]
    schedule: BundleFile
    audit: AuditAnchor


class Signature(msgspec.Struct, frozen=True, kw_only=True):
    """The signature over ``manifest.json`` and the fingerprint of the key that made it."""

    algorithm: str
    key_fingerprint: str
    signature: str


manifest_encoder = msgspec.json.Encoder(order="sorted")


def encode_manifest(manifest: Manifest) -> bytes:
    """The canonical bytes of a manifest (sorted keys), as signed and stored."""
    return manifest_encoder.encode(manifest)


def key_fingerprint(raw_public_key: bytes) -> str:
    """A short, stable name for a public key: SHA-256 of its raw 32 bytes, in hex."""
    return hashlib.sha256(raw_public_key).hexdigest()


def b64(data: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(data).decode()
