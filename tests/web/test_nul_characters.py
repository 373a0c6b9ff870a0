"""A NUL character anywhere a value is read (path, query, form, JSON) is refused before any
handler runs: 404 for a path, 400 otherwise, the same on SQLite and PostgreSQL, and nothing
is written. PostgreSQL refuses NUL in a query (a 500 before), SQLite would have stored it."""

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from exhibit.cases.models import Case
from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from exhibit.web.csrf import CSRF_COOKIE
from tests.fixtures.officer import browser, make_user, sign_in, submit
from tests.fixtures.tus_client import tus_headers
from tests.fixtures.witness import make_scene
from tests.share_cps.helpers import api_headers


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings, load_plugins())) as client:
        yield client


async def _cases(platform: Platform, force_id: int) -> int:
    async with platform.force_session(force_id) as session:
        return int(await session.scalar(select(func.count(Case.id))) or 0)


async def test_an_officer_form_with_a_nul_is_refused_and_writes_nothing(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        refused = await submit(client, "/cases", {"reference": "KENT/1/26", "title": "Th\x00eft"})
        searched = await client.get("/cases", params={"reference": "K\x00"})

    assert refused.status_code == 400
    assert "There is a problem with this address or form" in refused.text
    assert searched.status_code == 400
    assert await _cases(platform, officer.force_id) == 0


async def test_a_form_sent_as_multipart_with_a_nul_is_refused_too(
    settings: Settings, platform: Platform
) -> None:
    """A page may post ``multipart/form-data`` as well (any form with a file field does)."""
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        await client.get("/cases")
        form = {"reference": "KENT/1/26", "title": "Th\x00eft"}
        token = client.cookies.get(CSRF_COOKIE) or ""
        refused = await client.post(
            "/cases", data=form | {"_csrf_token": token}, files={"note": ("a.txt", b"\x00")}
        )
        opened = await client.post(
            "/cases",
            data=form | {"title": "Theft", "_csrf_token": token},
            files={"note": ("a.txt", b"\x00")},  # a file's bytes are not looked at
        )

    assert refused.status_code == 400
    assert "There is a problem with this address or form" in refused.text
    assert opened.status_code == 200  # the new case's page
    assert await _cases(platform, officer.force_id) == 1


async def test_json_and_paths_with_a_nul_are_refused(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    scene = await make_scene(platform)
    headers = await api_headers(platform, scene.force_id, "officer-api@kent.test")

    shared = await client.post(
        f"/api/v1/cases/{scene.case_id}/shares",
        json={"item_ids": [1], "target": "cps_portal", "recipient": "a\x00@cps.gov.uk"},
        headers=headers,
    )
    upload = await client.head("/uploads/ab%00cd", headers=tus_headers(scene.token))
    partner = await client.get("/plugins/share_cps/ke%00nt/partner/sign-in")

    assert shared.status_code == 400
    assert "NUL character" in shared.json()["detail"]
    assert upload.status_code == 404
    assert partner.status_code == 404
