"""Signing in and out: argon2 check, one message for every refusal, lock-out, audit."""

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from exhibit.accounts import lockout, sign_in_rate
from exhibit.accounts.lockout import LOCK_FOR, MAX_FAILURES, SignInLockout
from exhibit.accounts.models import Role, User
from exhibit.db.base import utcnow
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.web.session_config import SESSION_COOKIE
from tests.fixtures.officer import HOST, PASSWORD, audit_events, browser, make_user, sign_in, submit

WRONG = "Email or password is wrong"
LOCKED = "Too many failed attempts"


async def test_an_officer_signs_in_and_lands_on_the_cases_page(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform, name="PC Amy Pond")
    async with browser(settings) as client:
        response = await sign_in(client, officer.email.upper())
        assert response.status_code == 200
        assert response.url.path == "/cases"
        assert "PC Amy Pond" in response.text
        assert response.history[0].status_code == 303
        cookie = response.history[0].headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # the public URL is plain http here

    [event] = await audit_events(platform, officer.force_id, "user.signed_in")
    assert event.actor == f"user:{officer.user_id}"
    assert PASSWORD not in str(event.details)


async def test_every_refusal_says_the_same_thing_and_is_audited(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        wrong = await sign_in(client, officer.email, "not the password at all")
        unknown = await sign_in(client, "nobody@kent.test", PASSWORD)
        assert (wrong.status_code, unknown.status_code) == (400, 400)
        assert WRONG in wrong.text
        assert WRONG in unknown.text
        assert 'value="nobody@kent.test"' in unknown.text  # the address is kept, not the password
        assert PASSWORD not in unknown.text
        assert client.cookies.get(SESSION_COOKIE) is None
        assert (await client.get("/cases", follow_redirects=False)).status_code == 303

    [event] = await audit_events(platform, officer.force_id, "user.sign_in_failed")
    assert event.details["reason"] == "wrong_password"
    assert "not the password" not in str(event.details)


async def test_an_inactive_account_cannot_sign_in(settings: Settings, platform: Platform) -> None:
    officer = await make_user(platform)
    async with platform.system_session() as session:
        await session.execute(update(User).values(active=False))
        await session.commit()
    async with browser(settings) as client:
        response = await sign_in(client, officer.email)
    assert response.status_code == 400
    assert WRONG in response.text


async def test_five_wrong_passwords_lock_the_address_for_fifteen_minutes(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        for attempt in range(1, MAX_FAILURES + 1):
            response = await sign_in(client, officer.email, f"guess number {attempt}")
            expected = LOCKED if attempt == MAX_FAILURES else WRONG
            assert expected in response.text, attempt
        locked = await sign_in(client, officer.email)  # even the right password
        assert locked.status_code == 429
        assert LOCKED in locked.text

        # An address nobody has locks the same way, so the lock-out reveals no accounts.
        for attempt in range(MAX_FAILURES):
            response = await sign_in(client, "nobody@kent.test", f"guess {attempt}")
        assert LOCKED in response.text

        async with platform.system_session() as session:
            await session.execute(
                update(SignInLockout).values(locked_until=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
        assert (await sign_in(client, officer.email)).url.path == "/cases"

    failures = await audit_events(platform, officer.force_id, "user.sign_in_failed")
    assert [e.details["locked"] for e in failures] == [False] * 4 + [True, False]
    assert failures[-1].details["reason"] == "locked"
    assert timedelta(minutes=15) == LOCK_FOR


async def test_signing_in_replaces_a_session_id_planted_beforehand(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await client.get("/sign-in")
        # An attacker who got the victim to carry their id must not share the signed-in session.
        client.cookies.set(SESSION_COOKIE, "a" * 64, domain=HOST)
        await sign_in(client, officer.email)
        assert client.cookies.get(SESSION_COOKIE) not in (None, "a" * 64)
    async with browser(settings) as attacker:
        attacker.cookies.set(SESSION_COOKIE, "a" * 64, domain=HOST)
        assert (await attacker.get("/cases", follow_redirects=False)).status_code == 303


async def test_signing_out_ends_the_session_everywhere(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        session_id = client.cookies.get(SESSION_COOKIE)
        assert session_id is not None
        response = await submit(client, "/sign-out", {})
        assert response.url.path == "/sign-in"
        assert client.cookies.get(SESSION_COOKIE) in (None, "null")
        client.cookies.set(
            SESSION_COOKIE, session_id, domain=HOST
        )  # replaying the old cookie does not help
        replay = await client.get("/cases", follow_redirects=False)
        assert replay.status_code == 303
        assert replay.headers["location"] == "/sign-in"
    assert len(await audit_events(platform, officer.force_id, "user.signed_out")) == 1


async def test_the_home_page_sends_people_where_they_belong(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform, role=Role.AUDITOR)
    async with browser(settings) as client:
        anonymous = await client.get("/", follow_redirects=False)
        assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/sign-in")
        await sign_in(client, officer.email)
        signed_in = await client.get("/", follow_redirects=False)
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/cases")


async def test_after_sign_in_the_officer_returns_to_the_page_they_asked_for(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        asked = await client.get("/outbox")
        assert asked.url.path == "/sign-in"
        assert 'name="next" value="/outbox"' in asked.text
        page = await client.post(
            "/sign-in",
            data={
                "email": officer.email,
                "password": PASSWORD,
                "next": "/outbox",
                "_csrf_token": client.cookies.get("exhibit_csrf"),
            },
        )
        assert page.url.path == "/outbox"
        # Only this site's pages: another site's address falls back to the cases page.
        await submit(client, "/sign-out", {})
        page = await client.post(
            "/sign-in",
            data={
                "email": officer.email,
                "password": PASSWORD,
                "next": "//evil.example/",
                "_csrf_token": client.cookies.get("exhibit_csrf"),
            },
        )
        assert page.url.path == "/cases"
        assert page.url.host == "testserver.local"


async def test_wrong_passwords_lock_the_address_out_only_where_they_came_from(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings, address="203.0.113.5") as stranger:
        for attempt in range(MAX_FAILURES):
            response = await sign_in(stranger, officer.email, f"guess {attempt}")
        assert LOCKED in response.text
        assert (await sign_in(stranger, officer.email)).status_code == 429
    async with browser(settings, address="198.51.100.7") as own_desk:
        assert (await sign_in(own_desk, officer.email)).url.path == "/cases"
    async with platform.system_session() as session:
        hashes = set((await session.scalars(select(SignInLockout.client_hash))).all())
    assert "203.0.113.5" not in str(hashes)  # only hashes of client addresses are kept


async def test_one_address_may_try_only_so_often_across_every_email(
    settings: Settings, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sign_in_rate, "ATTEMPT_LIMIT", 3)
    officer = await make_user(platform)
    async with browser(settings, address="203.0.113.5") as sprayer:
        for name in ("a", "b", "c"):
            assert (await sign_in(sprayer, f"{name}@kent.test", "Password1")).status_code == 400
        refused = await sign_in(sprayer, officer.email)  # even the right password
        assert refused.status_code == 429
        assert "Too many sign-in attempts from your network. Wait " in refused.text
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        assert timedelta(minutes=10) == sign_in_rate.ATTEMPT_WINDOW
    async with browser(settings, address="198.51.100.7") as own_desk:
        assert (await sign_in(own_desk, officer.email)).url.path == "/cases"


async def test_guesses_from_many_addresses_lock_the_email_everywhere(
    settings: Settings, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lockout, "MAX_FAILURES_ALL_CLIENTS", 8)
    officer = await make_user(platform)
    texts = []
    for address in ("203.0.113.5", "203.0.113.6"):
        async with browser(settings, address=address) as botnet:
            for attempt in range(MAX_FAILURES - 1):
                texts.append((await sign_in(botnet, officer.email, f"guess {attempt}")).text)
    assert [LOCKED in text for text in texts] == [False] * 7 + [True]
    async with browser(settings, address="198.51.100.7") as own_desk:
        refused = await sign_in(own_desk, officer.email)
        assert refused.status_code == 429
        assert LOCKED in refused.text


def test_a_process_of_exhibit_hashes_passwords_with_rfc_9106s_low_memory_profile() -> None:
    # In its own process: the tests' own hashing is made cheap (tests/conftest.py).
    script = (
        "from exhibit.accounts.passwords import hash_password, verify_password\n"
        "stored = hash_password('a long enough passphrase')\n"
        "assert verify_password(stored, 'a long enough passphrase')\n"
        "print(stored)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
