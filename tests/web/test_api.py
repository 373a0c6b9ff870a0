"""The app over HTTP: health, OpenAPI, token authentication, plugin settings per force."""

import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.accounts.models import Role
from exhibit.accounts.service import create_api_token, create_user
from exhibit.audit.models import AuditEvent
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.fixtures.witness import make_scene


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(settings, load_plugins())
    async with AsyncTestClient(app=app) as client:
        yield client


async def _token(platform: Platform, force_slug: str, role: Role) -> str:
    async with platform.system_session() as session:
        from exhibit.forces.models import Force

        force = await session.scalar(select(Force).where(Force.slug == force_slug))
        if force is None:
            force = await create_force(session, slug=force_slug, name=force_slug, actor="test")
            await session.commit()
    async with force_transaction(platform, force.id) as tx:
        user = await create_user(
            tx.session,
            force.id,
            email=f"{role.value}@{force_slug}.test",
            name=role.value,
            role=role,
            password="correct horse battery",
            actor="test",
        )
        _, token = await create_api_token(tx.session, user, name="test", actor="test")
    return token


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_health_and_security_headers(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_openapi_schema_describes_the_api(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    # The document only, no viewer page: those load their scripts from a CDN.
    for viewer in ("/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc"):
        assert (await client.get(viewer)).status_code == 404, viewer
    assert (await client.get("/schema")).headers["content-type"].endswith("json")
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/plugins/force/{plugin_id}/check"]["post"]
    assert "enabled or not" in operation["description"]  # the handler's own words
    assert "/api/v1/plugins" in schema["paths"]
    assert "/api/v1/plugins/force/{plugin_id}" in schema["paths"]


@pytest.mark.parametrize("header", [None, "Bearer exh_forged", "Basic dXNlcjpwYXNz", "Bearer "])
async def test_the_api_refuses_callers_without_a_valid_token(
    client: AsyncTestClient[Litestar], platform: Platform, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.get("/api/v1/plugins", headers=headers)
    assert response.status_code == 401


async def test_installed_plugins_are_listed_with_versions(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    token = await _token(platform, "kent", Role.OFFICER)
    response = await client.get("/api/v1/plugins", headers=_auth(token))
    assert response.status_code == 200
    listed = {p["id"]: p for p in response.json()}
    assert {
        "local_storage",
        "outbox",
        "notify_sms",
        "notify_email",
        "storage_s3",
        "share_cps",
        "media_tools",
    } <= set(listed)
    assert listed["notify_sms"]["version"] == "0.1.0"
    assert listed["notify_sms"]["summary"] == "SMS delivery of upload links and receipts"
    assert listed["outbox"]["builtin"] is True


async def test_only_a_force_admin_may_enable_a_plugin_and_it_is_audited(
    client: AsyncTestClient[Litestar],
    platform: Platform,
) -> None:
    officer = await _token(platform, "kent", Role.OFFICER)
    admin = await _token(platform, "kent", Role.FORCE_ADMIN)
    other_admin = await _token(platform, "essex", Role.FORCE_ADMIN)
    body = {"enabled": True, "config": {}}

    refused = await client.put("/api/v1/plugins/force/share_cps", json=body, headers=_auth(officer))
    assert refused.status_code == 403

    done = await client.put("/api/v1/plugins/force/share_cps", json=body, headers=_auth(admin))
    assert done.status_code == 200, done.text
    assert done.json() == {"plugin_id": "share_cps", "enabled": True, "config": {}, "warnings": []}

    mine = await client.get("/api/v1/plugins/force", headers=_auth(admin))
    theirs = await client.get("/api/v1/plugins/force", headers=_auth(other_admin))
    assert [p["plugin_id"] for p in mine.json()] == ["share_cps"]
    assert theirs.json() == []

    async with platform.system_session() as session:
        actions = (await session.scalars(select(AuditEvent.action))).all()
    assert "plugin.enabled" in actions


async def test_a_plugin_is_disabled_and_enabled_again_keeping_its_settings(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    admin = await _token(platform, "kent", Role.FORCE_ADMIN)
    url = "/api/v1/plugins/force/storage_s3"
    config = {"bucket": "kent-evidence", "region": "eu-west-2", "encryption": "none"}

    set_up = await client.put(url, json={"enabled": True, "config": config}, headers=_auth(admin))
    disabled = await client.put(url, json={"enabled": False}, headers=_auth(admin))
    enabled = await client.put(url, json={"enabled": True}, headers=_auth(admin))

    assert set_up.status_code == 200, set_up.text
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["enabled"] is False
    assert disabled.json()["config"]["bucket"] == "kent-evidence"
    assert enabled.status_code == 200, enabled.text
    assert enabled.json() == {**set_up.json(), "enabled": True}


async def test_a_secret_from_an_unset_variable_is_saved_with_a_warning(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    admin = await _token(platform, "kent", Role.FORCE_ADMIN)
    variable = "EXHIBIT_FORCE_KENT_NOWHERE_SECRET"
    config = {
        "bucket": "kent-evidence",
        "access_key_id": "AKIAEXAMPLE",
        "secret_access_key": {"env": variable},
    }
    saved = await client.put(
        "/api/v1/plugins/force/storage_s3",
        json={"enabled": True, "config": config},
        headers=_auth(admin),
    )

    assert saved.status_code == 200, saved.text
    assert saved.json()["config"]["secret_access_key"] == {"env": variable}
    [warning] = saved.json()["warnings"]
    assert f"the environment variable {variable} is not set on the server" in warning


async def test_enabling_without_settings_checks_the_stored_ones(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    admin = await _token(platform, "kent", Role.FORCE_ADMIN)
    response = await client.put(
        "/api/v1/plugins/force/storage_s3", json={"enabled": True}, headers=_auth(admin)
    )
    assert response.status_code == 400
    assert "bucket" in response.text
    listed = await client.get("/api/v1/plugins/force", headers=_auth(admin))
    assert listed.json() == []


@pytest.mark.parametrize(
    ("plugin_id", "body", "status", "detail"),
    [
        ("no_such_plugin", {"enabled": True}, 404, "no_such_plugin"),
        ("outbox", {"enabled": False}, 404, "outbox"),
        ("share_cps", {"enabled": True, "config": {"unexpected": 1}}, 400, "unexpected"),
        ("share_cps", {"enabled": "yes"}, 400, "enabled"),
        ("share_cps", {"enabled": True, "colour": "blue"}, 400, "colour"),
    ],
)
async def test_bad_plugin_settings_get_a_clear_error(
    client: AsyncTestClient[Litestar],
    platform: Platform,
    plugin_id: str,
    body: dict[str, object],
    status: int,
    detail: str,
) -> None:
    admin = await _token(platform, "kent", Role.FORCE_ADMIN)
    response = await client.put(
        f"/api/v1/plugins/force/{plugin_id}", json=body, headers=_auth(admin)
    )
    assert response.status_code == status
    assert detail in response.text


async def test_malformed_json_is_a_400_not_a_500(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    admin = await _token(platform, "kent", Role.FORCE_ADMIN)
    response = await client.put(
        "/api/v1/plugins/force/share_cps",
        content=b"{not json",
        headers={**_auth(admin), "Content-Type": "application/json"},
    )
    assert response.status_code == 400


async def test_audit_verify_needs_a_supervisor(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    officer = await _token(platform, "kent", Role.OFFICER)
    supervisor = await _token(platform, "kent", Role.SUPERVISOR)
    assert (
        await client.get("/api/v1/force/audit/verify", headers=_auth(officer))
    ).status_code == 403
    report = (await client.get("/api/v1/force/audit/verify", headers=_auth(supervisor))).json()
    assert report["ok"] is True
    assert report["events"] >= 5
    assert report["head"].startswith(f"{report['events']}:")

    noted = await client.get(
        "/api/v1/force/audit/verify", params={"head": report["head"]}, headers=_auth(supervisor)
    )
    assert noted.json()["ok"] is True
    beyond = f"{report['events'] + 100}:{'0' * 64}"
    cut = await client.get(
        "/api/v1/force/audit/verify", params={"head": beyond}, headers=_auth(supervisor)
    )
    assert (cut.json()["ok"], cut.json()["broken_at_seq"]) == (False, report["events"] + 1)
    malformed = await client.get(
        "/api/v1/force/audit/verify", params={"head": "latest"}, headers=_auth(supervisor)
    )
    assert malformed.status_code == 400
    assert "SEQ:HASH" in malformed.text


async def test_the_outbox_shows_a_forces_messages_to_its_officers_only(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    from exhibit.forces.models import Force
    from exhibit.jobs.worker import Worker
    from exhibit.notifications.service import MessageContent, queue_message

    officer = await _token(platform, "kent", Role.OFFICER)
    auditor = await _token(platform, "kent", Role.AUDITOR)
    other = await _token(platform, "essex", Role.OFFICER)
    admin = await _token(platform, "kent", Role.FORCE_ADMIN)
    async with platform.system_session() as session:
        kent = await session.scalar(select(Force.id).where(Force.slug == "kent"))
    assert kent is not None
    async with force_transaction(platform, kent) as tx:
        await queue_message(
            tx.session,
            platform.secret_box,
            kent,
            channel="email",
            recipient="witness@example.org",
            content=MessageContent(subject="Your footage", body="Upload here: https://x/u/t"),
            purpose="upload_link",
        )
    while await Worker(platform).run_once():
        pass

    shown = await client.get("/api/v1/outbox", headers=_auth(officer))
    assert shown.status_code == 200
    [message] = shown.json()
    assert (message["recipient"], message["subject"], message["status"]) == (
        "witness@example.org",
        "Your footage",
        "delivered",
    )
    assert (await client.get("/api/v1/outbox", headers=_auth(auditor))).status_code == 403
    # Roles are not ranked: a force admin configures the force but does not handle requests.
    assert (await client.get("/api/v1/outbox", headers=_auth(admin))).status_code == 403
    assert (await client.get("/api/v1/outbox", headers=_auth(other))).json() == []
    async with platform.force_session(kent) as session:
        actions = (await session.scalars(select(AuditEvent.action))).all()
    assert "outbox.viewed" in actions


async def test_the_case_list_comes_a_page_at_a_time(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    officer = _auth(await _token(platform, "kent", Role.OFFICER))
    other = _auth(await _token(platform, "essex", Role.OFFICER))
    for n in range(7):
        opened = await client.post("/api/v1/cases", json={"reference": f"K/{n}"}, headers=officer)
        assert opened.status_code == 201
    await client.post("/api/v1/cases", json={"reference": "E/1"}, headers=other)

    everything = await client.get("/api/v1/cases", headers=officer)
    assert [c["reference"] for c in everything.json()] == [f"K/{n}" for n in range(6, -1, -1)]
    assert "link" not in everything.headers  # one page holds them all

    seen, url = [], "/api/v1/cases?limit=3"
    while url:
        page = await client.get(url, headers=officer)
        assert page.status_code == 200
        assert len(page.json()) <= 3
        seen += [c["reference"] for c in page.json()]
        found = re.fullmatch(r'<([^>]+)>; rel="next"', page.headers.get("link", ""))
        url = found.group(1) if found else ""
    assert seen == [f"K/{n}" for n in range(6, -1, -1)]

    for bad in ({"limit": 0}, {"limit": 501}, {"before": 0}, {"before": 2**31}):
        assert (await client.get("/api/v1/cases", params=bad, headers=officer)).status_code == 400
    far = await client.get("/api/v1/cases", params={"before": 2**31 - 1}, headers=officer)
    assert len(far.json()) == 7

    schema = (await client.get("/schema/openapi.json")).json()["paths"]["/api/v1/cases"]["get"]
    assert {p["name"] for p in schema["parameters"]} >= {"limit", "before"}
    assert "Link" in schema["responses"]["200"]["headers"]
    assert "Link header" in schema["description"]


async def test_a_case_is_changed_closed_and_reopened_through_the_api(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    scene = await make_scene(platform)  # KENT/123/26 with one live link
    officer = _auth(await _token(platform, "kent", Role.SUPERVISOR))  # the scene has an officer
    auditor = _auth(await _token(platform, "kent", Role.AUDITOR))
    stranger = _auth(await _token(platform, "essex", Role.OFFICER))
    await client.post("/api/v1/cases", json={"reference": "KENT/124/26"}, headers=officer)
    case = f"/api/v1/cases/{scene.case_id}"

    changed = await client.patch(case, json={"title": "Robbery"}, headers=officer)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["reference"], changed.json()["title"]) == ("KENT/123/26", "Robbery")
    taken = await client.patch(case, json={"reference": "kent/124/26"}, headers=officer)
    assert taken.status_code == 400
    assert "case kent/124/26 already exists" in taken.text
    assert (await client.patch(case, json={"title": "x"}, headers=auditor)).status_code == 403
    assert (await client.patch(case, json={"title": "x"}, headers=stranger)).status_code == 404

    unseen = await client.post(f"{case}/close", json={"reason": "Charged"}, headers=officer)
    assert unseen.status_code == 400
    assert "send revoke_open_requests 1" in unseen.text
    assert (await client.post(f"{case}/close", json={}, headers=officer)).status_code == 400
    body = {"reason": "Charged", "revoke_open_requests": 1}
    assert (await client.post(f"{case}/close", json=body, headers=stranger)).status_code == 404
    closed = await client.post(f"{case}/close", json=body, headers=officer)
    assert closed.status_code == 201, closed.text
    assert closed.json()["status"] == "closed"
    requests = (await client.get(f"{case}/requests", headers=officer)).json()
    assert [r["state"] for r in requests] == ["revoked"]
    ask = {"recipient_name": "Ann", "channels": ["sms"], "phone": "07911 123456"}
    refused = await client.post(f"{case}/requests", json=ask, headers=officer)
    assert refused.status_code == 400
    assert "case KENT/123/26 is closed" in refused.text
    twice = await client.post(f"{case}/close", json=body, headers=officer)
    assert "already closed" in twice.text

    assert (await client.post(f"{case}/reopen", json={"reason": " "}, headers=officer)).is_error
    reopened = await client.post(f"{case}/reopen", json={"reason": "Appeal"}, headers=officer)
    assert reopened.json()["status"] == "open"
    assert (await client.post(f"{case}/requests", json=ask, headers=officer)).status_code == 201

    async with platform.force_session(scene.force_id) as session:
        events = await session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "case").order_by(AuditEvent.seq)
        )
        logged = [
            (e.action, e.reason, e.details) for e in events if e.object_id == str(scene.case_id)
        ]
    assert logged[1:] == [
        ("case.details_changed", "", {"title": {"from": "Burglary", "to": "Robbery"}}),
        (
            "case.closed",
            "Charged",
            {"reference": "KENT/123/26", "revoked_requests": [scene.request_id]},
        ),
        ("case.reopened", "Appeal", {"reference": "KENT/123/26"}),
    ]

    schema = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "patch" in schema["/api/v1/cases/{case_id}"]
    close = schema["/api/v1/cases/{case_id}/close"]["post"]
    assert "revoke_open_requests is their number" in close["description"]
    body_schema = close["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = (await client.get("/schema/openapi.json")).json()["components"]["schemas"][
        body_schema.rsplit("/", 1)[1]
    ]["properties"]
    assert "no link is stopped unseen" in fields["revoke_open_requests"]["description"]
    assert "/api/v1/cases/{case_id}/reopen" in schema
