"""Cases and requests through the JSON API, scoped to the caller's force and role."""

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from exhibit.accounts.models import Role, User
from exhibit.accounts.service import create_api_token, create_user
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.fixtures.witness import make_scene


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings, load_plugins())) as client:
        yield client


async def _auth(platform: Platform, force_id: int, role: Role, email: str) -> dict[str, str]:
    async with force_transaction(platform, force_id) as tx:
        user: User = await create_user(
            tx.session,
            force_id,
            email=email,
            name="Someone",
            role=role,
            password="correct horse battery",
            actor="test",
        )
        _, token = await create_api_token(tx.session, user, name="t", actor="test")
    return {"Authorization": f"Bearer {token}"}


async def test_an_officer_opens_a_case_and_asks_for_evidence(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    scene = await make_scene(platform)
    officer = await _auth(platform, scene.force_id, Role.OFFICER, "o@k.test")

    case = await client.post("/api/v1/cases", json={"reference": "K/999/26"}, headers=officer)
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    duplicate = await client.post("/api/v1/cases", json={"reference": "K/999/26"}, headers=officer)
    assert duplicate.status_code == 400

    created = await client.post(
        f"/api/v1/cases/{case_id}/requests",
        json={
            "recipient_name": "Ali",
            "channels": ["sms", "email"],
            "phone": "07911 123456",
            "email": "ali@example.org",
            "message": "The car park, Tuesday night",
        },
        headers=officer,
    )
    assert created.status_code == 201, created.text
    request = created.json()
    assert (request["state"], request["max_files"]) == ("created", 25)
    assert "token" not in created.text

    bad = await client.post(
        f"/api/v1/cases/{case_id}/requests",
        json={"recipient_name": "Ali", "channels": ["sms"], "phone": "12"},
        headers=officer,
    )
    assert bad.status_code == 400
    assert "not a valid phone number" in bad.text

    messages = await client.get(f"/api/v1/requests/{request['id']}/notifications", headers=officer)
    assert sorted(m["channel"] for m in messages.json()) == ["email", "sms"]
    assert messages.json()[0]["history"][0]["status"] == "queued"
    assert (messages.json()[0]["status_detail"], messages.json()[0]["used_fallback"]) == ("", False)

    extended = await client.post(
        f"/api/v1/requests/{request['id']}/extend", json={"days": 14}, headers=officer
    )
    assert extended.status_code == 201
    revoked = await client.post(
        f"/api/v1/requests/{request['id']}/revoke", json={"reason": "duplicate"}, headers=officer
    )
    assert revoked.json()["state"] == "revoked"
    resend = await client.post(f"/api/v1/requests/{request['id']}/resend", headers=officer)
    assert resend.status_code == 400
    assert "revoked" in resend.text


async def test_other_forces_and_small_roles_are_refused(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    kent = await make_scene(platform, "kent")
    essex = await make_scene(platform, "essex")
    outsider = await _auth(platform, essex.force_id, Role.OFFICER, "a@e.test")
    auditor = await _auth(platform, kent.force_id, Role.AUDITOR, "au@k.test")

    for path in (
        f"/api/v1/cases/{kent.case_id}",
        f"/api/v1/cases/{kent.case_id}/items",
        f"/api/v1/requests/{kent.request_id}",
        f"/api/v1/requests/{kent.request_id}/notifications",
    ):
        assert (await client.get(path, headers=outsider)).status_code == 404, path
        assert (await client.get(path)).status_code == 401, path
    assert (
        await client.post(
            f"/api/v1/requests/{kent.request_id}/revoke", json={"reason": "x"}, headers=outsider
        )
    ).status_code == 404
    assert (await client.get(f"/api/v1/cases/{kent.case_id}", headers=auditor)).status_code == 200
    refused = await client.post(
        f"/api/v1/cases/{kent.case_id}/requests",
        json={"recipient_name": "A", "channels": ["sms"], "phone": "07911 123456"},
        headers=auditor,
    )
    assert refused.status_code == 403
