"""The force's logo: an admin uploads a picture, witnesses' pages show a copy Exhibit drew
again (never the uploaded bytes), refused files change nothing, and the CLI does the same."""

import asyncio
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image, PngImagePlugin

from exhibit.accounts.models import Role
from exhibit.forces.models import Force
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.web.csrf import CSRF_COOKIE
from tests.fixtures.cli import invoke_exhibit
from tests.fixtures.officer import audit_events, browser, make_user, sign_in
from tests.fixtures.two_factor import make_enrolled_user, sign_in_with_code
from tests.fixtures.witness import make_scene

LOGO_SRC = re.compile(r'<img class="citizen-header__logo" src="(/forces/kent/logo/[0-9a-f]{16})"')
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _logo(width: int = 1200, height: int = 300, colour: str = "navy") -> bytes:
    """A PNG logo as a designer might send it: a text chunk naming its author, and bytes
    hidden after its end."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "J. Designer, 07700 900123")
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG", pnginfo=info)
    return out.getvalue() + b"<script>alert(1)</script>"


async def _upload(client: AsyncTestClient[Any], data: bytes, name: str = "logo.png") -> str:
    """Send the logo form as a browser would; the page shown afterwards."""
    response = await client.post(
        "/admin/force/logo",
        data={"_csrf_token": client.cookies.get(CSRF_COOKIE)},
        files={"logo": (name, data, "image/png")},
    )
    return f"{response.status_code} {response.text}"


async def _stored_sha256(platform: Platform, force_id: int) -> str:
    async with platform.force_session(force_id) as session:
        force = await session.get(Force, force_id)
        assert force is not None
        return force.logo_sha256


async def test_witnesses_see_the_logo_an_admin_uploads_as_a_copy_drawn_again(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    admin = await make_enrolled_user(platform, "kent", Role.FORCE_ADMIN, "Ada Admin")
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        assert "Your force has no logo" in (await client.get("/admin/force/logo")).text
        saved = await _upload(client, _logo())
        assert saved.startswith("200") and "The logo was saved" in saved, saved[:300]

        witness_page = (await client.get(f"/u/{scene.token}")).text
        found = LOGO_SRC.search(witness_page)
        assert found, witness_page[:2000]
        address = found.group(1)
        assert f'src="{address}"' in saved  # the admin sees what witnesses see
        served = await client.get(address)
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/png"
        assert "immutable" in served.headers["cache-control"]
        assert "sandbox" in served.headers["content-security-policy"]
        assert "set-cookie" not in served.headers
        png = served.content
        assert png.endswith(PNG_END)  # nothing after the picture
        assert b"J. Designer" not in png and b"<script>" not in png
        with Image.open(io.BytesIO(png)) as drawn:
            assert drawn.size == (600, 150)  # fitted into 600 by 200, proportions kept
            assert drawn.convert("RGB").getpixel((300, 75)) == (0, 0, 128)

        (changed,) = await audit_events(platform, scene.force_id, "force.logo_changed")
        assert changed.details["sha256"] == hashlib.sha256(png).hexdigest()
        assert changed.actor == f"user:{admin.user_id}"

        again = await _upload(client, _logo(colour="darkgreen"))
        assert again.startswith("200")
        assert (await client.get(address)).status_code == 404  # the old address names nothing
        newer = LOGO_SRC.search((await client.get(f"/u/{scene.token}")).text)
        assert newer and newer.group(1) != address
        assert (await client.get(newer.group(1))).status_code == 200

        page = await client.get("/admin/force/logo")
        removed = await client.post(
            "/admin/force/logo/remove", data={"_csrf_token": client.cookies.get(CSRF_COOKIE)}
        )
        assert page.status_code == 200 and "The logo was removed" in removed.text
        assert "citizen-header__logo" not in (await client.get(f"/u/{scene.token}")).text
        assert (await client.get(newer.group(1))).status_code == 404
    assert await _stored_sha256(platform, scene.force_id) == ""
    assert len(await audit_events(platform, scene.force_id, "force.logo_removed")) == 1


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "logo.png", "Choose a picture file"),
        (b"<html><script>alert(1)</script></html>", "logo.png", "must be a PNG, JPEG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "logo.svg", "an SVG"),
        (_logo()[:400], "logo.png", "must be a PNG, JPEG"),  # cut short
        (_logo(8, 8), "logo.png", "at least 16 pixels"),
        (b"\x89PNG" + bytes(2_000_001), "logo.png", "2 MB or smaller"),
    ],
    ids=["empty", "html", "svg", "truncated", "tiny", "too-big"],
)
async def test_a_file_that_cannot_be_a_logo_is_refused_and_the_logo_kept(
    settings: Settings, platform: Platform, data: bytes, name: str, message: str
) -> None:
    admin = await make_enrolled_user(platform, "kent", Role.FORCE_ADMIN, "Ada Admin")
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        await client.get("/admin/force/logo")
        assert (await _upload(client, _logo())).startswith("200")
        kept = await _stored_sha256(platform, admin.force_id)

        refused = await _upload(client, data, name)
        assert refused.startswith("400"), refused[:300]
        assert message in refused and 'href="#logo"' in refused  # linked to the field
    assert await _stored_sha256(platform, admin.force_id) == kept
    assert len(await audit_events(platform, admin.force_id, "force.logo_changed")) == 1


async def test_only_an_admin_changes_the_logo_and_an_address_names_one_force(
    settings: Settings, platform: Platform
) -> None:
    admin = await make_enrolled_user(platform, "kent", Role.FORCE_ADMIN, "Ada Admin")
    officer = await make_user(platform, "kent", Role.OFFICER)
    await make_user(platform, "essex", Role.OFFICER)
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        await client.get("/admin/force/logo")
        assert (await _upload(client, _logo())).startswith("200")
    version = (await _stored_sha256(platform, admin.force_id))[:16]
    async with browser(settings) as client:
        first_visit = await client.get(f"/forces/kent/logo/{version}")
        assert first_visit.status_code == 200
        assert "set-cookie" not in first_visit.headers  # kept by browsers and proxies alike
        assert (await client.get(f"/forces/essex/logo/{version}")).status_code == 404
        assert (await client.get(f"/forces/nowhere/logo/{version}")).status_code == 404
        assert (await client.get(f"/forces/kent/logo/{version[:8]}")).status_code == 404
        await sign_in(client, officer.email)
        assert (await client.get("/admin/force/logo")).status_code == 403
        refused = await _upload(client, _logo(colour="red"))
        assert refused.startswith("403")
    assert len(await audit_events(platform, admin.force_id, "force.logo_changed")) == 1


async def test_the_cli_sets_and_removes_a_logo(
    settings: Settings, platform: Platform, tmp_path: Path
) -> None:
    admin = await make_user(platform, "kent", Role.FORCE_ADMIN)
    picture = tmp_path / "kent.png"
    picture.write_bytes(_logo())
    not_a_picture = tmp_path / "kent.svg"
    not_a_picture.write_text("<svg/>")

    refused = await asyncio.to_thread(
        invoke_exhibit, settings, "force", "logo", "kent", str(not_a_picture)
    )
    assert refused.returncode == 1 and "an SVG cannot be used" in refused.stderr
    done = await asyncio.to_thread(invoke_exhibit, settings, "force", "logo", "kent", str(picture))
    assert done.returncode == 0, done.stderr
    sha256 = await _stored_sha256(platform, admin.force_id)
    assert f"600x150 pixels, sha256 {sha256}" in done.stdout
    removed = await asyncio.to_thread(invoke_exhibit, settings, "force", "logo", "kent", "--remove")
    assert removed.returncode == 0, removed.stderr
    assert await _stored_sha256(platform, admin.force_id) == ""
    assert [
        e.actor for e in await audit_events(platform, admin.force_id, "force.logo_removed")
    ] == ["cli"]
