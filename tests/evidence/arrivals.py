"""Evidence that arrived through the real ingest path, for review tests."""

import hashlib
import io
import zipfile

from PIL import Image

from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.storage.backend import put_object
from exhibit.uploads.ingest import ingest_upload
from tests.fixtures.witness import Scene, chunks, received_upload


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG image."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx() -> bytes:
    """A Word document: a kind of file not accepted from witnesses (so quarantined)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>My statement</w:document>")
    return out.getvalue()


async def arrived(
    platform: Platform,
    scene: Scene,
    data: bytes,
    *,
    filename: str = "",
    declared_type: str = "image/png",
) -> int:
    """Store ``data`` as an upload of the scene's request and ingest it; return the item id.

    Without a file name, one is made from the content (each upload's key comes from it).
    """
    filename = filename or f"photo-{hashlib.sha256(data).hexdigest()[:8]}.png"
    upload_id = await received_upload(
        platform, scene, data, filename=filename, declared_type=declared_type
    )
    item = await ingest_upload(platform, scene.force_id, upload_id)
    return item.id


async def with_derivative(
    platform: Platform,
    scene: Scene,
    item_id: int,
    data: bytes,
    *,
    kind: str = "thumbnail",
    media_type: str = "image/png",
) -> Derivative:
    """Store a derivative of the item, as a media processor would, and record it."""
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        key = f"derivatives/{item_id}/{kind}-{hashlib.sha256(data).hexdigest()[:8]}"
        stored = await put_object(platform.storage(tx.force, "local"), key, chunks(data))
        derivative = Derivative(
            item_id=item_id,
            kind=kind,
            storage_backend="local",
            storage_key=stored.key,
            media_type=media_type,
            size=stored.size,
            processor="test",
            tool="Pillow",
            tool_version="test",
            parameters={"width": 8},
            input_sha256=item.sha256,
            output_sha256=stored.sha256,
            reason="preview for review",
        )
        tx.session.add(derivative)
    return derivative
