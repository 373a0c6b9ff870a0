"""Every list of the API comes a page at a time, the same way (``exhibit.api.paging``)."""

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.accounts.models import Role
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.notifications.service import MessageContent, queue_message
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.evidence.arrivals import arrived, png
from tests.fixtures.officer import browser, make_user, run_queued_jobs
from tests.fixtures.witness import make_scene
from tests.officer.test_items_api import _officer, _token
from tests.share_cps.world import cps_plugins, make_world

ASK = {"recipient_name": "Ann Witness", "channels": ["sms"], "phone": "07911 123456"}


async def _walk(client: AsyncTestClient[Any], url: str, auth: dict[str, str]) -> list[int]:
    """The ids of every page from ``url`` on, following the Link header, each page checked
    to hold at most 2 (the limit ``url`` asks for)."""
    seen: list[int] = []
    while url:
        answer = await client.get(url, headers=auth)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()) <= 2
        seen += [row["id"] for row in answer.json()]
        found = re.fullmatch(r'<([^>]+)>; rel="next"', answer.headers.get("link", ""))
        url = found.group(1) if found else ""
    return seen


async def _refuses_bad_paging(
    client: AsyncTestClient[Any], url: str, auth: dict[str, str], cursor: str
) -> None:
    lowest = 0 if cursor == "after" else 1
    for bad in ({"limit": 0}, {"limit": 501}, {cursor: lowest - 1}, {cursor: 2**31}):
        refused = await client.get(url, params=bad, headers=auth)
        assert refused.status_code == 400, (url, bad)
        assert next(iter(bad)) in refused.text


def _documents_paging(schema: dict[str, Any], path: str, cursor: str) -> None:
    operation = schema["paths"][path]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"limit", cursor}, path
    assert "Link" in operation["responses"]["200"]["headers"], path
    assert "at most 500" in operation["description"], path


async def test_a_cases_requests_and_items_come_a_page_at_a_time(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    items = [await arrived(platform, scene, png(colour=(c, 7, 7))) for c in range(5)]
    auth = await _officer(platform, scene)
    case = f"/api/v1/cases/{scene.case_id}"
    async with browser(settings) as client:
        asked = [
            (await client.post(f"{case}/requests", json=ASK, headers=auth)).json()["id"]
            for _ in range(4)
        ]
        requests = [*reversed(asked), scene.request_id]  # newest first
        first = await client.get(f"{case}/requests", headers=auth)
        assert [r["id"] for r in first.json()] == requests  # one page holds them all
        assert "link" not in first.headers
        assert await _walk(client, f"{case}/requests?limit=2", auth) == requests

        assert await _walk(client, f"{case}/items?limit=2", auth) == items[::-1]
        listed = await client.get(f"{case}/items", params={"before": items[2]}, headers=auth)
        assert [i["id"] for i in listed.json()] == items[1::-1]

        for path in (f"{case}/requests", f"{case}/items"):
            await _refuses_bad_paging(client, path, auth, "before")
        schema = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/v1/cases/{case_id}/requests", "/api/v1/cases/{case_id}/items"):
        _documents_paging(schema, path, "before")


async def test_disposals_awaiting_a_decision_come_a_page_at_a_time(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    items = [await arrived(platform, scene, png(colour=(c, 8, 8))) for c in range(5)]
    auth = await _officer(platform, scene)
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR)
    deciding = await _token(platform, scene.force_id, supervisor.user_id)
    async with browser(settings) as client:
        for item in items:
            item_url = f"/api/v1/items/{item}"
            await client.post(f"{item_url}/decline", json={"reason": "Blurred"}, headers=auth)
            disposal = await client.post(
                f"{item_url}/disposal", json={"reason": "Duplicate"}, headers=auth
            )
            assert disposal.status_code == 201, disposal.text
        listed = (await client.get("/api/v1/disposals", headers=deciding)).json()
        asked = [d["id"] for d in listed]
        assert [d["item_id"] for d in listed] == items  # oldest first

        assert await _walk(client, "/api/v1/disposals?limit=2", deciding) == asked
        since = await client.get("/api/v1/disposals", params={"after": asked[2]}, headers=deciding)
        assert [d["id"] for d in since.json()] == asked[3:]
        await _refuses_bad_paging(client, "/api/v1/disposals", deciding, "after")
        schema = (await client.get("/schema/openapi.json")).json()
    _documents_paging(schema, "/api/v1/disposals", "after")


async def test_the_outbox_comes_a_page_at_a_time(settings: Settings, platform: Platform) -> None:
    scene = await make_scene(platform)  # its link message is the first in the outbox
    async with platform.system_session() as session:
        kent = await session.scalar(select(Force.id).where(Force.slug == "kent"))
    assert kent is not None
    for n in range(4):
        async with force_transaction(platform, kent) as tx:
            await queue_message(
                tx.session,
                platform.secret_box,
                kent,
                channel="email",
                recipient=f"witness{n}@example.org",
                content=MessageContent(subject=f"Message {n}", body="Upload here"),
                purpose="upload_link",
            )
    await run_queued_jobs(platform)
    auth = await _officer(platform, scene)
    async with browser(settings) as client:
        everything = await client.get("/api/v1/outbox", headers=auth)
        newest_first = [m["id"] for m in everything.json()]
        assert len(newest_first) == 5
        assert newest_first == sorted(newest_first, reverse=True)
        assert "link" not in everything.headers
        assert await _walk(client, "/api/v1/outbox?limit=2", auth) == newest_first
        # A last page that is exactly full has no next page.
        assert "link" not in (await client.get("/api/v1/outbox?limit=5", headers=auth)).headers
        await _refuses_bad_paging(client, "/api/v1/outbox", auth, "before")
        schema = (await client.get("/schema/openapi.json")).json()
    _documents_paging(schema, "/api/v1/outbox", "before")


async def test_a_cases_shares_come_a_page_at_a_time(settings: Settings) -> None:
    platform = Platform(settings, cps_plugins())
    try:
        world = await make_world(platform)
        auth = await _officer(platform, world.scene)
        share = {
            "target": "cps_portal",
            "recipient": "prosecutor@cps.test",
            "expires_in_days": 30,
        }
        url = f"/api/v1/cases/{world.scene.case_id}/shares"
        app: Litestar = create_app(settings, cps_plugins())
        async with AsyncTestClient(app=app) as client:
            made = []
            for item in (world.redacted, world.disclosure, world.redacted):
                created = await client.post(
                    url, json={**share, "item_ids": [item.id]}, headers=auth
                )
                assert created.status_code == 201, created.text
                made.append(created.json())
            first = await client.get(url, headers=auth)
            assert first.json() == made[::-1]  # the same view as each share's own
            assert await _walk(client, f"{url}?limit=2", auth) == [s["id"] for s in made[::-1]]
            await _refuses_bad_paging(client, url, auth, "before")
            schema = (await client.get("/schema/openapi.json")).json()
        _documents_paging(schema, "/api/v1/cases/{case_id}/shares", "before")
    finally:
        await platform.close()
