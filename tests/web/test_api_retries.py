"""A client that retries a create after a timeout can find what its first try made."""

from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.officer import browser
from tests.fixtures.witness import make_scene
from tests.officer.test_items_api import _officer


async def test_a_retried_case_is_refused_and_found_by_its_reference(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)  # KENT/123/26
    other = await make_scene(platform, "essex")  # ESSEX/123/26
    auth = await _officer(platform, scene)
    async with browser(settings) as client:
        first = await client.post("/api/v1/cases", json={"reference": "K/9"}, headers=auth)
        retry = await client.post("/api/v1/cases", json={"reference": "K/9"}, headers=auth)
        assert (first.status_code, retry.status_code) == (201, 400)
        assert "already exists" in retry.json()["detail"]

        found = await client.get("/api/v1/cases", params={"reference": "k/9"}, headers=auth)
        assert found.json() == [first.json()]
        essex = {"reference": "ESSEX/123/26"}
        mine = await client.get("/api/v1/cases", params=essex, headers=auth)
        assert mine.json() == []  # another force's reference names nothing here
        theirs = await client.get(
            "/api/v1/cases", params=essex, headers=await _officer(platform, other)
        )
        assert [c["reference"] for c in theirs.json()] == ["ESSEX/123/26"]

        schema = (await client.get("/schema/openapi.json")).json()["paths"]["/api/v1/cases"]
        assert "reference" in {p["name"] for p in schema["get"]["parameters"]}
        assert "?reference=" in schema["post"]["description"]
