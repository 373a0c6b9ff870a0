"""Ids in JSON bodies past any record's id get a 400 naming the field, on SQLite as on
PostgreSQL (where the query failed in the driver: a 500)."""

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.fixtures.witness import make_scene
from tests.share_cps.helpers import api_headers


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings, load_plugins())) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("shares", {"item_ids": [2**70]}, "item_ids[0]"),
        ("shares", {"item_ids": [1], "originals": {str(2**31): "needed"}}, "originals"),
        ("category", {"category_id": 2**40}, "category_id"),
    ],
)
async def test_an_id_past_any_record_is_a_400(
    client: AsyncTestClient[Litestar],
    platform: Platform,
    path: str,
    body: dict[str, object],
    field: str,
) -> None:
    scene = await make_scene(platform)
    headers = await api_headers(platform, scene.force_id, "api@kent.test")
    share = {"target": "cps_portal", "recipient": "a@cps.gov.uk", "expires_in_days": 7}
    if path == "shares":
        response = await client.post(
            f"/api/v1/cases/{scene.case_id}/shares", json=share | body, headers=headers
        )
    else:
        response = await client.put("/api/v1/items/1/category", json=body, headers=headers)

    assert response.status_code == 400, response.text
    assert f'"key":"{field}"' in response.text
