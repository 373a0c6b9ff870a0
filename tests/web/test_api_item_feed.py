"""Polling for what arrived: ``GET /api/v1/items?after=``, a page at a time, gap-free."""

import asyncio
import re

import pytest
from sqlalchemy import select

from exhibit.evidence.models import EvidenceItem
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.uploads.ingest import ingest_upload
from tests.evidence.arrivals import arrived, png
from tests.fixtures.officer import browser
from tests.fixtures.witness import make_scene, received_upload
from tests.officer.test_items_api import _officer


def _next(response_link: str) -> str:
    found = re.fullmatch(r'<([^>]+)>; rel="next"', response_link)
    return found.group(1) if found else ""


async def test_an_integrator_polls_for_items_that_arrived_since_it_last_looked(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    elsewhere = await make_scene(platform, "essex")
    first, second = [await arrived(platform, scene, png(colour=(c, 9, 9))) for c in (1, 2)]
    await arrived(platform, elsewhere, png(colour=(3, 9, 9)))
    auth = await _officer(platform, scene)
    async with browser(settings) as client:
        everything = await client.get("/api/v1/items", headers=auth)
        assert everything.status_code == 200, everything.text
        assert [i["id"] for i in everything.json()] == [first, second]  # not Essex's
        assert {(i["case_id"], i["request_id"]) for i in everything.json()} == {
            (scene.case_id, scene.request_id)
        }
        assert "link" not in everything.headers

        since = await client.get("/api/v1/items", params={"after": second}, headers=auth)
        assert since.json() == []
        third = await arrived(platform, scene, png(colour=(4, 9, 9)))
        since = await client.get("/api/v1/items", params={"after": second}, headers=auth)
        assert [i["id"] for i in since.json()] == [third]

        seen, url = [], "/api/v1/items?limit=2"
        while url:
            page = await client.get(url, headers=auth)
            assert len(page.json()) <= 2
            seen += [i["id"] for i in page.json()]
            url = _next(page.headers.get("link", ""))
        assert seen == [first, second, third]

        for bad in ({"limit": 0}, {"limit": 501}, {"after": -1}, {"after": 2**31}):
            refused = await client.get("/api/v1/items", params=bad, headers=auth)
            assert refused.status_code == 400, bad

        case_items = await client.get(f"/api/v1/cases/{scene.case_id}/items", headers=auth)
        assert [(i["id"], i["request_id"]) for i in case_items.json()] == [
            (n, scene.request_id) for n in (third, second, first)
        ]

        schema = (await client.get("/schema/openapi.json")).json()
        feed = schema["paths"]["/api/v1/items"]["get"]
        assert {p["name"] for p in feed["parameters"]} == {"after", "limit"}
        assert "Link" in feed["responses"]["200"]["headers"]


# PostgreSQL only: SQLite lets one writer at a time, so its ids follow commits by design.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_items_take_ids_in_the_order_their_arrival_commits(
    settings: Settings, platform: Platform
) -> None:
    """An arrival that commits later never takes a smaller id than one already visible, so
    a poller that has seen id N and asks for those after it misses nothing."""
    scene = await make_scene(platform)
    data = png(colour=(5, 9, 9))
    upload = await received_upload(
        platform, scene, data, filename="later.png", declared_type="image/png"
    )
    async with force_transaction(platform, scene.force_id) as tx:
        # Another arrival of the force is part-way through its transaction.
        await tx.session.execute(
            select(Force.id).where(Force.id == scene.force_id).with_for_update()
        )
        later = asyncio.create_task(ingest_upload(platform, scene.force_id, upload))
        await asyncio.sleep(1)  # the later arrival waits for the force
        assert not later.done()
        earlier = EvidenceItem(
            force_id=scene.force_id,
            case_id=scene.case_id,
            storage_backend="local",
            storage_key="originals/elsewhere",
            original_filename="earlier.png",
            size=1,
            sha256="0" * 64,
        )
        tx.session.add(earlier)
        await tx.session.flush()
    assert earlier.id < (await later).id
