"""``Idempotency-Key``: a retried POST is performed once and answered the same again."""

import asyncio
import base64
import json
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from exhibit.accounts.models import Role, User
from exhibit.accounts.permissions import Permission
from exhibit.api.idempotency.claims import KeyOwner, claim_key
from exhibit.api.idempotency.models import IdempotencyKey
from exhibit.api.idempotency.route import IdempotencyKeyHeader, fingerprint, idempotent
from exhibit.api.idempotency.sweep import SWEEP_JOB, forget_idempotency_keys
from exhibit.cases.models import Case
from exhibit.db.base import utcnow
from exhibit.jobs.handlers import JobContext
from exhibit.jobs.worker import PERIODIC_JOBS
from exhibit.notifications.models import Notification
from exhibit.notifications.service import unseal
from exhibit.platform import Platform
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.sharing.models import Share
from exhibit.uploads.models import EvidenceRequest
from exhibit.web.app import create_app
from exhibit.web.auth import current_user
from tests.fixtures.officer import browser, make_user
from tests.fixtures.tus_client import serving
from tests.fixtures.witness import Scene, make_scene
from tests.officer.test_items_api import _officer, _token
from tests.share_cps.world import cps_plugins, make_world

ASK = {"recipient_name": "Ann Witness", "channels": ["sms"], "phone": "07911 123456"}


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def _requests_and_messages(platform: Platform, scene: Scene) -> tuple[int, int]:
    """How many requests the scene's case has, and how many messages were queued for them."""
    async with platform.force_session(scene.force_id) as session:
        requests = await session.scalar(
            select(func.count())
            .select_from(EvidenceRequest)
            .where(EvidenceRequest.case_id == scene.case_id)
        )
        messages = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .join(EvidenceRequest, EvidenceRequest.id == Notification.request_id)
            .where(EvidenceRequest.case_id == scene.case_id)
        )
    return int(requests or 0), int(messages or 0)


async def test_a_retried_request_is_made_once_and_its_message_sent_once(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    auth = await _officer(platform, scene)
    url = f"/api/v1/cases/{scene.case_id}/requests"
    before = await _requests_and_messages(platform, scene)
    async with browser(settings) as client:
        first = await client.post(url, json=ASK, headers={**auth, **_key("ask-ann-1")})
        retry = await client.post(url, json=ASK, headers={**auth, **_key("ask-ann-1")})
        assert first.status_code == 201, first.text
        assert (retry.status_code, retry.content) == (201, first.content)
        assert retry.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert await _requests_and_messages(platform, scene) == (before[0] + 1, before[1] + 1)

        # The draft's quoted form names the same key.
        quoted = await client.post(url, json=ASK, headers={**auth, **_key('"ask-ann-1"')})
        assert (quoted.status_code, quoted.json()) == (201, first.json())
        # Without the header a POST is performed each time, as before.
        again = await client.post(url, json=ASK, headers=auth)
        assert again.status_code == 201
        assert again.json()["id"] != first.json()["id"]
        assert await _requests_and_messages(platform, scene) == (before[0] + 2, before[1] + 2)

        resend = f"/api/v1/requests/{first.json()['id']}/resend"
        sent = await client.post(resend, headers={**auth, **_key("resend-1")})
        resent = await client.post(resend, headers={**auth, **_key("resend-1")})
        assert (sent.status_code, resent.status_code) == (201, 201)
        assert resent.headers["idempotent-replayed"] == "true"
        assert await _requests_and_messages(platform, scene) == (before[0] + 2, before[1] + 3)

    # What is kept is the answer alone, sealed: never the link the witness was sent.
    async with platform.force_session(scene.force_id) as session:
        kept = (await session.scalars(select(IdempotencyKey))).all()
        bodies = [n.body_encrypted for n in await session.scalars(select(Notification))]
    contents = [unseal(platform.secret_box, body) for body in bodies if body is not None]
    tokens = [c.link.rsplit("/", 1)[-1] for c in contents if c.link is not None]
    assert tokens
    assert {k.key for k in kept} == {"ask-ann-1", "resend-1"}
    for row in kept:
        assert row.response_body is not None
        assert "Ann Witness" not in row.response_body
        answer = base64.b64decode(platform.secret_box.decrypt(row.response_body)).decode()
        assert "Ann Witness" in answer
        assert not [token for token in tokens if token in answer]


async def test_the_same_key_with_a_different_request_is_refused(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    auth = {**await _officer(platform, scene), **_key("k-1")}
    url = f"/api/v1/cases/{scene.case_id}/requests"
    async with browser(settings) as client:
        assert (await client.post(url, json=ASK, headers=auth)).status_code == 201
        counted = await _requests_and_messages(platform, scene)
        other_body = await client.post(url, json={**ASK, "recipient_name": "Bo"}, headers=auth)
        other_path = await client.post("/api/v1/cases", json={"reference": "K/2"}, headers=auth)
        for refused in (other_body, other_path):
            assert refused.status_code == 422, refused.text
            assert "already used with a different request" in refused.json()["detail"]
        assert await _requests_and_messages(platform, scene) == counted
        async with platform.force_session(scene.force_id) as session:
            assert await session.scalar(select(Case).where(Case.reference == "K/2")) is None

        sent = [(b"Authorization", auth["Authorization"].encode())]
        for bad in (b"", b"x" * 256, "caf\u00e9".encode(), b'""'):
            refused = await client.post(url, json=ASK, headers=[*sent, (b"Idempotency-Key", bad)])
            assert refused.status_code == 400, bad
            assert "Idempotency-Key must be" in refused.json()["detail"]
        assert await _requests_and_messages(platform, scene) == counted


async def test_keys_are_each_users_own_in_each_force(
    settings: Settings, platform: Platform
) -> None:
    kent = await make_scene(platform)
    essex = await make_scene(platform, "essex")
    officer = {**await _officer(platform, kent), **_key("same")}
    colleague_user = await make_user(platform, "kent", Role.SUPERVISOR)
    colleague = {
        **await _token(platform, kent.force_id, colleague_user.user_id),
        **_key("same"),
    }
    stranger = {**await _officer(platform, essex), **_key("same")}
    async with browser(settings) as client:
        url = f"/api/v1/cases/{kent.case_id}/requests"
        mine = await client.post(url, json=ASK, headers=officer)
        theirs = await client.post(url, json=ASK, headers=colleague)
        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert mine.json()["id"] != theirs.json()["id"]
        assert "idempotent-replayed" not in theirs.headers

        case = {"reference": "SHARED/1"}
        kent_case = await client.post("/api/v1/cases", json=case, headers={**officer, **_key("c")})
        essex_case = await client.post(
            "/api/v1/cases", json=case, headers={**stranger, **_key("c")}
        )
        assert (kent_case.status_code, essex_case.status_code) == (201, 201)
        assert kent_case.json()["id"] != essex_case.json()["id"]
    async with platform.system_session() as session:
        rows = await session.execute(select(IdempotencyKey.force_id, IdempotencyKey.user_id))
        owners = {(force_id, user_id) for force_id, user_id in rows}
    assert owners == {
        (kent.force_id, kent.officer_id),
        (kent.force_id, colleague_user.user_id),
        (essex.force_id, essex.officer_id),
    }


async def test_a_refusal_is_kept_and_a_request_being_handled_is_409(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    auth = await _officer(platform, scene)
    case = f"/api/v1/cases/{scene.case_id}"
    async with browser(settings) as client:
        close = {"reason": "Charged", "revoke_open_requests": 1}
        assert (await client.post(f"{case}/close", json=close, headers=auth)).status_code == 201
        refused = await client.post(f"{case}/requests", json=ASK, headers={**auth, **_key("r")})
        assert refused.status_code == 400
        reopen = {"reason": "Appeal"}
        assert (await client.post(f"{case}/reopen", json=reopen, headers=auth)).status_code == 201
        # The retry gets the first answer, though the case is open again: a 4xx is kept.
        retry = await client.post(f"{case}/requests", json=ASK, headers={**auth, **_key("r")})
        assert (retry.status_code, retry.content) == (400, refused.content)
        assert retry.headers["idempotent-replayed"] == "true"

        # A retry while the first request with its key is still being handled.
        body = json.dumps(ASK).encode()
        handled = fingerprint("POST", f"{case}/requests", "", body)
        owner = KeyOwner(scene.force_id, scene.officer_id, "busy")
        assert await claim_key(platform, owner, handled) is None
        counted = await _requests_and_messages(platform, scene)
        headers = {**auth, **_key("busy"), "Content-Type": "application/json"}
        busy = await client.post(f"{case}/requests", content=body, headers=headers)
        assert busy.status_code == 409, busy.text
        assert "still being handled" in busy.json()["detail"]
        assert await _requests_and_messages(platform, scene) == counted

        # Claimed long ago and never answered: its process stopped part way.
        async with platform.force_session(scene.force_id) as session:
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.key == "busy")
                .values(created_at=utcnow() - timedelta(minutes=11))
            )
            await session.commit()
        abandoned = await client.post(f"{case}/requests", content=body, headers=headers)
        assert abandoned.status_code == 409, abandoned.text
        assert "stopped before it was answered" in abandoned.json()["detail"]
        assert await _requests_and_messages(platform, scene) == counted


# PostgreSQL only: SQLite lets one writer at a time, so its requests cannot overlap there.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_concurrent_retries_are_performed_once(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    auth = {**await _officer(platform, scene), **_key("race")}
    url = f"/api/v1/cases/{scene.case_id}/requests"
    before = await _requests_and_messages(platform, scene)
    # Over real HTTP: the in-memory test client sends one request at a time.
    with serving(settings, load_builtin_plugins()) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            answers = await asyncio.gather(
                *(client.post(url, json=ASK, headers=auth) for _ in range(6))
            )
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 409}, [a.text for a in answers]
    performed = [
        a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers
    ]
    assert len(performed) == 1
    assert 409 in statuses  # they did overlap
    assert await _requests_and_messages(platform, scene) == (before[0] + 1, before[1] + 1)


async def test_a_server_error_is_not_kept_so_the_client_may_retry(
    settings: Settings, platform: Platform
) -> None:
    """A route of the app's own kind that fails once, as a request does when its database
    drops: the 500 is not kept, and the retry with the same key is performed."""
    scene = await make_scene(platform)
    calls: list[int] = []

    @idempotent
    @post("/api/v1/flaky", opt={"permission": Permission.MANAGE_REQUESTS})
    async def flaky(user: User, idempotency_key: IdempotencyKeyHeader = None) -> dict[str, int]:
        calls.append(user.id)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return {"calls": len(calls)}

    app = Litestar(
        [flaky],
        dependencies={
            "platform": Provide(lambda: platform, sync_to_thread=False),
            "user": Provide(current_user),
        },
        state=State({"platform": platform}),
    )
    auth = {**await _officer(platform, scene), **_key("flaky")}
    # In this event loop (the test's platform's), without the app's lifespan.
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        failed = await client.post("/api/v1/flaky", headers=auth)
        performed = await client.post("/api/v1/flaky", headers=auth)
        replayed = await client.post("/api/v1/flaky", headers=auth)
    assert [failed.status_code, performed.status_code, replayed.status_code] == [500, 201, 201]
    assert performed.json() == replayed.json() == {"calls": 2}
    assert calls == [scene.officer_id, scene.officer_id]


async def test_keys_are_forgotten_after_a_day(settings: Settings, platform: Platform) -> None:
    scene = await make_scene(platform)
    auth = await _officer(platform, scene)
    url = f"/api/v1/cases/{scene.case_id}/requests"
    async with browser(settings) as client:
        first = await client.post(url, json=ASK, headers={**auth, **_key("old")})
        await client.post(url, json=ASK, headers={**auth, **_key("new")})
        async with platform.force_session(scene.force_id) as session:
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.key == "old")
                .values(created_at=utcnow() - timedelta(hours=25))
            )
            await session.commit()
        # A key past its day is claimed anew, even before the sweep has run.
        later = await client.post(url, json=ASK, headers={**auth, **_key("old")})
        assert later.status_code == 201
        assert later.json()["id"] != first.json()["id"]
        assert "idempotent-replayed" not in later.headers

        async with platform.force_session(scene.force_id) as session:
            await session.execute(
                update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25))
            )
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.key == "new")
                .values(created_at=utcnow() - timedelta(hours=23))
            )
            await session.commit()
    assert PERIODIC_JOBS[SWEEP_JOB] == timedelta(hours=1)
    await forget_idempotency_keys(JobContext(1, SWEEP_JOB, None, {}, 1, platform))
    async with platform.system_session() as session:
        assert list(await session.scalars(select(IdempotencyKey.key))) == ["new"]


async def test_a_retried_share_is_made_once(settings: Settings) -> None:
    platform = Platform(settings, cps_plugins())
    try:
        world = await make_world(platform)
        officer = {**await _officer(platform, world.scene), **_key("share-1")}
        share = {
            "item_ids": [world.redacted.id],
            "target": "cps_portal",
            "recipient": "prosecutor@cps.test",
            "expires_in_days": 30,
        }
        url = f"/api/v1/cases/{world.scene.case_id}/shares"
        async with AsyncTestClient(app=create_app(settings, cps_plugins())) as client:
            made = await client.post(url, json=share, headers=officer)
            again = await client.post(url, json=share, headers=officer)
        assert made.status_code == 201, made.text
        assert (again.status_code, again.json()) == (201, made.json())
        async with platform.force_session(world.scene.force_id) as session:
            assert list(await session.scalars(select(Share.id))) == [made.json()["id"]]
    finally:
        await platform.close()
