"""The force's logo on the witness's pages: checked, drawn again, stored with the force.

A witness who gets a link by text message decides in seconds whether to trust the page it
opens; the force's own logo above its name is what they recognise. An administrator's
picture (PNG, JPEG, WebP or GIF) is decoded and its pixels drawn again as a new PNG, at most
``MAX_SIZE``, with no metadata: nothing of the uploaded file but its picture ever reaches a
browser, and a file that is something else under a picture's name is refused. The PNG is
kept in the force's row (``Force.logo_png``), so every app process serves the same one, and
each change is audited with the new logo's SHA-256.
"""

import hashlib
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.forces.models import Force
from exhibit.forces.transaction import ForceTransaction

MAX_UPLOAD_BYTES = 2_000_000
MAX_SIZE = (600, 200)
"""The largest logo drawn, in pixels: twice what the page shows, for sharp phone screens."""
MIN_SIDE = 16
MAX_PIXELS = 40_000_000
"""Pictures with more pixels than this are refused before they are decoded."""
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
VERSION_LENGTH = 16
"""How much of the SHA-256 the logo's address carries, so a new logo has a new address."""


class LogoRefused(ValueError):
    """The file cannot be the force's logo; the message says why, for the administrator."""


@dataclass(frozen=True)
class Logo:
    """A logo as Exhibit drew it: the PNG, its SHA-256 and its size in pixels."""

    png: bytes
    sha256: str
    width: int
    height: int


def prepare_logo(data: bytes) -> Logo:
    """Check an uploaded picture and draw it again as the PNG the pages will show.

    Raises ``LogoRefused`` for an empty, oversized, damaged or disguised file, a format other
    than PNG, JPEG, WebP or GIF (an SVG may hold scripts), or a picture too small to see.
    """
    from PIL import Image

    if not data:
        raise LogoRefused("Choose a picture file for the logo")
    if len(data) > MAX_UPLOAD_BYTES:
        raise LogoRefused(f"The logo file must be {MAX_UPLOAD_BYTES // 1_000_000} MB or smaller")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise LogoRefused("The logo picture has too many pixels: use a smaller one")
            image.load()  # every byte is decoded here, so a damaged file fails now
            picture = image.convert("RGBA")
    except LogoRefused:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise LogoRefused(
            "The logo must be a PNG, JPEG, WebP or GIF picture (an SVG cannot be used: "
            "save it as PNG)"
        ) from None
    if min(picture.size) < MIN_SIDE:
        raise LogoRefused(f"The logo picture must be at least {MIN_SIDE} pixels on each side")
    picture.thumbnail(MAX_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    png = out.getvalue()
    return Logo(png, hashlib.sha256(png).hexdigest(), picture.width, picture.height)


async def set_logo(tx: ForceTransaction, logo: Logo | None, *, actor: str) -> None:
    """Make ``logo`` the force's logo (``None``: remove it), audited in ``tx``."""
    force = await tx.session.get(Force, tx.force.id, with_for_update=True)
    assert force is not None
    if logo is None:
        if not force.logo_sha256:
            return
        removed = force.logo_sha256
        force.logo_png, force.logo_sha256 = None, ""
        await audit.record(
            tx.session,
            tx.force.id,
            actor=actor,
            action="force.logo_removed",
            object_type="force",
            object_id=tx.force.id,
            details={"sha256": removed},
        )
        return
    force.logo_png, force.logo_sha256 = logo.png, logo.sha256
    await audit.record(
        tx.session,
        tx.force.id,
        actor=actor,
        action="force.logo_changed",
        object_type="force",
        object_id=tx.force.id,
        details={"sha256": logo.sha256, "width": logo.width, "height": logo.height},
    )


def logo_path(slug: str, sha256: str) -> str:
    """The address of a force's logo (empty when it has none); it changes with the logo."""
    return f"/forces/{slug}/logo/{sha256[:VERSION_LENGTH]}" if sha256 else ""


async def logo_png(session: AsyncSession, slug: str, version: str) -> bytes | None:
    """The logo of force ``slug`` if ``version`` names its current one, else ``None``."""
    if len(version) != VERSION_LENGTH:
        return None
    row = (
        await session.execute(select(Force.logo_png, Force.logo_sha256).where(Force.slug == slug))
    ).one_or_none()
    if row is None or not row.logo_sha256.startswith(version):
        return None
    png: bytes | None = row.logo_png
    return png
