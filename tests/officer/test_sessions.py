"""Server-side sessions in the shared database: any app process serves any signed-in officer."""

from datetime import timedelta

import msgspec
from sqlalchemy import select, update

from exhibit.accounts.housekeeping import CLEAN_JOB
from exhibit.db.base import utcnow
from exhibit.jobs.periodic import schedule_periodic
from exhibit.jobs.worker import Worker
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.web.session_config import ABSOLUTE_SECONDS, SESSION_COOKIE
from exhibit.web.sessions import DatabaseStore, WebSession
from tests.fixtures.officer import browser, copy_session, make_user, sign_in


async def test_the_store_keeps_values_until_they_expire(platform: Platform) -> None:
    store = DatabaseStore(platform.sessions)
    await store.set("one", b"first", expires_in=60)
    await store.set("one", "second", expires_in=timedelta(seconds=120))
    await store.set("forever", b"kept")
    assert await store.get("one") == b"second"
    assert 110 <= (await store.expires_in("one") or 0) <= 120
    assert await store.exists("one")
    assert await store.get("forever") == b"kept"
    assert await store.expires_in("forever") is None
    assert await store.get("missing") is None
    assert not await store.exists("missing")

    await store.get("one", renew_for=3600)
    assert (await store.expires_in("one") or 0) > 3500

    async with platform.system_session() as session:
        stored = list(await session.scalars(select(WebSession.id_hash)))
        await session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    assert "one" not in stored  # ids are bearer credentials: only their hashes are kept
    assert await store.get("one") is None
    assert not await store.exists("one")

    await store.set("two", b"x", expires_in=60)
    await store.delete("two")
    await store.delete("two")  # deleting what is not there is fine
    assert await store.get("two") is None
    await store.set("three", b"x")
    await store.delete_all()
    assert not await store.exists("three")


async def test_a_session_started_on_one_app_process_works_on_another(
    settings: Settings, platform: Platform
) -> None:
    officer_user = await make_user(platform, name="DC Rory Williams")
    async with browser(settings) as first, browser(settings) as second:
        await sign_in(first, officer_user.email)
        copy_session(first, second)
        page = await second.get("/cases", follow_redirects=False)
        assert page.status_code == 200
        assert "DC Rory Williams" in page.text


async def test_an_idle_session_ends(settings: Settings, platform: Platform) -> None:
    officer_user = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer_user.email)
        async with platform.system_session() as session:
            await session.execute(
                update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
        assert (await client.get("/cases", follow_redirects=False)).status_code == 303

    store = DatabaseStore(platform.sessions)
    await store.set("left-to-go-idle", b"{}", expires_in=60)
    async with platform.system_session() as session:
        await session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(hours=2)))
        await session.commit()
    async with browser(settings) as client:
        await sign_in(client, officer_user.email)
    # The periodic housekeeping job (not signing in) sweeps expired sessions away.
    await schedule_periodic(platform.sessions, {CLEAN_JOB: timedelta(hours=1)})
    while await Worker(platform).run_once():
        pass
    async with platform.system_session() as session:
        assert len(list(await session.scalars(select(WebSession.id_hash)))) == 1


async def test_a_busy_session_still_ends_eight_hours_after_sign_in(
    settings: Settings, platform: Platform
) -> None:
    officer_user = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer_user.email)
        assert (await client.get("/cases", follow_redirects=False)).status_code == 200
        session_id = client.cookies.get(SESSION_COOKIE)
        assert session_id is not None
        store = DatabaseStore(platform.sessions)
        data = msgspec.json.decode(await store.get(session_id) or b"")
        data["signed_in_at"] -= ABSOLUTE_SECONDS + 1  # as if it began eight hours ago
        await store.set(session_id, msgspec.json.encode(data), expires_in=3600)

        ended = await client.get("/cases", follow_redirects=False)
        assert ended.status_code == 303
        assert client.cookies.get(SESSION_COOKIE) in (None, "null")
        assert await store.get(session_id) is None


async def test_visitors_who_never_sign_in_leave_no_session_rows(
    settings: Settings, platform: Platform
) -> None:
    async with browser(settings) as client:
        for path in ("/", "/sign-in", "/cases", "/healthz"):
            await client.get(path)
        assert client.cookies.get(SESSION_COOKIE) is None
    async with platform.system_session() as session:
        assert list(await session.scalars(select(WebSession.id_hash))) == []


async def test_cookies_are_secure_behind_https(settings: Settings, platform: Platform) -> None:
    officer_user = await make_user(platform)
    https = msgspec.structs.replace(settings, public_url="https://exhibit.example")
    async with browser(https, base_url="https://testserver.local") as client:
        page = await client.get("/sign-in")
        assert "Secure" in page.headers["set-cookie"]  # the CSRF cookie
        response = await sign_in(client, officer_user.email)
        assert "Secure" in response.history[0].headers["set-cookie"]
