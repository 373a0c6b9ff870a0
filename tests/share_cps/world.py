"""A force with accepted exhibits ready to share: one with a redacted copy, one with a
disclosure copy, one marked sensitive and one with no derivative yet."""

import hashlib
import os
from dataclasses import dataclass
from typing import Any

import exhibit_share_cps
from exhibit.audit import log as audit
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_transaction
from exhibit.media.processor import DerivativeOutput
from exhibit.media.records import Provenance, record_derivative
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_builtin_plugins
from exhibit.storage.backend import put_object
from exhibit.uploads.ingest import ingest_upload
from tests.fixtures.witness import Scene, chunks, make_scene, received_upload

UNITS = {"south-east": "cps.southeast@cps.test"}


def cps_plugins() -> Plugins:
    """The built-ins plus share_cps, registered as its entry point would."""
    return load_builtin_plugins([("share_cps", exhibit_share_cps)])


def jpeg(tag: bytes) -> bytes:
    """A small JPEG-looking file (typed by content) unique to ``tag``."""
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + tag * 64
        + (os.urandom(2048))
    )


@dataclass(frozen=True)
class Exhibit:
    """An accepted item, its original bytes and (if any) its shared derivative's bytes."""

    id: int
    reference: str
    original: bytes
    derivative_id: int | None = None
    derivative: bytes | None = None


@dataclass(frozen=True)
class World:
    """The scene and its exhibits: redacted, disclosure-only, sensitive, underived."""

    scene: Scene
    redacted: Exhibit
    disclosure: Exhibit
    sensitive: Exhibit
    underived: Exhibit


async def make_world(
    platform: Platform, slug: str = "kent", config: dict[str, Any] | None = None
) -> World:
    """Build the world and enable share_cps for the force with ``config``."""
    scene = await make_scene(platform, slug)
    made = []
    for n, caption in enumerate(
        ["Doorbell camera still", "Photo of van", "Victim's address", "Shoe print"], start=1
    ):
        data = jpeg(f"{slug}{n}".encode())
        upload_id = await received_upload(
            platform, scene, data, filename=f"IMG_{slug}_{n}.jpg", declared_type="image/jpeg"
        )
        item = await ingest_upload(platform, scene.force_id, upload_id)
        reference = f"PT/{n}"
        await accept(platform, scene.force_id, item.id, reference, caption, sensitive=n == 3)
        made.append(Exhibit(item.id, reference, data))
    redacted = await add_derivative(platform, scene.force_id, made[0], "redacted")
    await add_derivative(platform, scene.force_id, made[0], "thumbnail")
    disclosure = await add_derivative(platform, scene.force_id, made[1], "disclosure")
    async with force_transaction(platform, scene.force_id) as tx:
        await configure_plugin(
            tx.session,
            platform.plugins,
            platform.secret_box,
            scene.force_id,
            "share_cps",
            enabled=True,
            config=config if config is not None else {"units": UNITS},
            actor="test",
        )
    return World(scene, redacted, disclosure, made[2], made[3])


async def accept(
    platform: Platform,
    force_id: int,
    item_id: int,
    reference: str,
    caption: str,
    *,
    sensitive: bool,
) -> None:
    """Accept an item as an exhibit, audited, as the officer's review would."""
    async with force_transaction(platform, force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        item.review_state = ReviewState.ACCEPTED
        item.exhibit_reference = reference
        item.caption = caption
        item.sensitive = sensitive
        await audit.record(
            tx.session,
            force_id,
            actor="test",
            action="item.accepted",
            object_type="item",
            object_id=item_id,
            details={"exhibit_reference": reference, "sha256": item.sha256},
        )


async def add_derivative(platform: Platform, force_id: int, exhibit: Exhibit, kind: str) -> Exhibit:
    """Store a derivative of ``kind`` for the exhibit, recorded and audited as a processor's."""
    data = f"{kind} copy of {exhibit.reference}: ".encode() + os.urandom(1024)
    async with force_transaction(platform, force_id) as tx:
        backend = platform.storage(tx.force, "local")
        stored = await put_object(backend, f"derivatives/{exhibit.id}/{kind}", chunks(data))
        item = await tx.session.get(EvidenceItem, exhibit.id)
        assert item is not None
        output = DerivativeOutput(
            kind=kind,
            media_type="image/jpeg",
            data_path=f"{kind}.jpg",
            tool="redact-faces",
            tool_version="1.2.3",
            parameters={"blur_radius": 12},
            reason="faces of bystanders",
        )
        provenance = Provenance(
            processor="test_redactor",
            processor_version="1.0",
            input_sha256=hashlib.sha256(exhibit.original).hexdigest(),
        )
        derivative = await record_derivative(
            tx.session, item, output, stored, backend="local", provenance=provenance
        )
        derivative_id = derivative.id
    if kind == "thumbnail":
        return exhibit
    return Exhibit(exhibit.id, exhibit.reference, exhibit.original, derivative_id, data)
