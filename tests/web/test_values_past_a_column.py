"""Text longer than its column holds, and times no column can store, are refused with a 400
that changes nothing, on SQLite as on PostgreSQL (where the database refused them: a 500)."""

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from exhibit.accounts.models import Role, User
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.sharing.models import Share
from exhibit.uploads.models import EvidenceRequest, RequestState
from exhibit.web.app import create_app
from tests.fixtures.officer import browser, sign_in, submit
from tests.fixtures.two_factor import make_enrolled_user, sign_in_with_code
from tests.fixtures.witness import make_scene
from tests.share_cps.helpers import PROSECUTOR, api_headers, share_by_api
from tests.share_cps.world import cps_plugins, make_world

TOO_LONG = "x" * 2001  # past every column these fields go to (200, 300, 320, 2000)
REQUEST: dict[str, object] = {
    "recipient_name": "A Witness",
    "channels": ["sms"],
    "phone": "07911 123456",
}


async def _requests(platform: Platform, force_id: int) -> int:
    async with platform.force_session(force_id) as session:
        return await session.scalar(select(func.count()).select_from(EvidenceRequest)) or 0


async def test_an_evidence_request_through_the_api(settings: Settings, platform: Platform) -> None:
    scene = await make_scene(platform)
    headers = await api_headers(platform, scene.force_id, "api@kent.test")
    before = await _requests(platform, scene.force_id)
    async with browser(settings) as client:
        for change in (
            {"recipient_name": TOO_LONG},
            {"incident_place": TOO_LONG},
            {"incident_at": "2026-01-01T10:00:00"},  # no time zone
            {"incident_at": "0001-01-01T00:00:00+14:00"},  # before the first day in UTC
            {"incident_at": "9999-12-31T23:59:59-14:00"},  # after the last day in UTC
        ):
            refused = await client.post(
                f"/api/v1/cases/{scene.case_id}/requests", json=REQUEST | change, headers=headers
            )
            assert refused.status_code == 400, (change, refused.text)
        revoked = await client.post(
            f"/api/v1/requests/{scene.request_id}/revoke",
            json={"reason": TOO_LONG},
            headers=headers,
        )
        assert revoked.status_code == 400
        assert "at most 2,000 characters" in revoked.text
    assert await _requests(platform, scene.force_id) == before
    async with platform.force_session(scene.force_id) as session:
        request = await session.get(EvidenceRequest, scene.request_id)
        assert request is not None and request.state != RequestState.REVOKED


async def test_an_evidence_request_through_the_web_app(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    before = await _requests(platform, scene.force_id)
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        new = f"/cases/{scene.case_id}/requests/new"
        for change in ({"recipient_name": TOO_LONG}, {"incident_place": TOO_LONG}):
            await client.get(new)
            refused = await submit(client, new, REQUEST | {"channels": "sms"} | change)
            assert refused.status_code == 400, change
            assert "characters" in refused.text
        revoked = await submit(client, f"/requests/{scene.request_id}/revoke", {"reason": TOO_LONG})
        assert revoked.status_code == 400  # the case page again, which says why
        assert "at most 2,000 characters" in revoked.text
    assert await _requests(platform, scene.force_id) == before


async def test_a_user_with_too_long_an_address(settings: Settings, platform: Platform) -> None:
    admin = await make_enrolled_user(platform, role=Role.FORCE_ADMIN, name="Ada Admin")
    address = "a@" + "b" * 320 + ".test"
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        await client.get("/admin/users")
        refused = await submit(
            client,
            "/admin/users",
            {"name": "Long", "email": address, "role": "officer", "how": "link"},
        )
        assert refused.status_code == 400
        assert "at most 320 characters" in refused.text
    async with platform.system_session() as session:
        assert await session.scalar(select(User.id).where(User.name == "Long")) is None


async def test_a_share_through_the_api(settings: Settings) -> None:
    platform = Platform(settings, cps_plugins())
    try:
        world = await make_world(platform)
        headers = await api_headers(platform, world.scene.force_id, "api@kent.test")
        async with AsyncTestClient(app=create_app(settings, cps_plugins())) as client:
            refused = await client.post(
                f"/api/v1/cases/{world.scene.case_id}/shares",
                json={
                    "item_ids": [world.underived.id],
                    "target": "cps_portal",
                    "recipient": PROSECUTOR,
                    "expires_in_days": 30,
                    "originals": {str(world.underived.id): TOO_LONG},
                },
                headers=headers,
            )
            assert refused.status_code == 400, refused.text
            assert "at most 500 characters" in refused.text
            share_id = await share_by_api(client, world, headers)
            kept = await client.post(
                f"/api/v1/shares/{share_id}/revoke", json={"reason": TOO_LONG}, headers=headers
            )
            assert kept.status_code == 400, kept.text
            assert "at most 2,000 characters" in kept.text
        async with platform.force_session(world.scene.force_id) as session:
            shares = list(await session.scalars(select(Share)))
        assert [(s.id, s.revoked_at) for s in shares] == [(share_id, None)]
    finally:
        await platform.close()
