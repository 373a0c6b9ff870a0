"""Two-factor sign-in with TOTP: enrolment, the code step, replay, lock-out, in a browser too."""

import asyncio
from typing import Any

import msgspec
import pyotp
from sqlalchemy import select, update

from exhibit.accounts.lockout import MAX_FAILURES
from exhibit.accounts.models import Role, User
from exhibit.accounts.two_factor import code_for, current_step
from exhibit.forces.models import Force
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.secrets import SecretBox
from exhibit.settings import Settings
from exhibit.web.session_config import SESSION_COOKIE
from tests.fixtures.cli import invoke_exhibit
from tests.fixtures.officer import PASSWORD, audit_events, browser, make_user, sign_in, submit
from tests.fixtures.tus_client import serving
from tests.fixtures.two_factor import make_enrolled_user, next_code, sign_in_with_code

SECRET_TEXT = '<code class="exhibit-secret" data-secret>'


def _secret_on(html: str) -> str:
    start = html.index(SECRET_TEXT) + len(SECRET_TEXT)
    return html[start : html.index("</code>", start)].replace(" ", "")


async def test_a_force_admin_must_set_up_two_factor_before_getting_in(
    settings: Settings, platform: Platform
) -> None:
    admin = await make_user(platform, role=Role.FORCE_ADMIN, name="Ada Admin")
    async with browser(settings) as client:
        response = await sign_in(client, admin.email)
        assert response.url.path == "/sign-in/two-factor"
        assert "<svg" in response.text  # the QR code, inline (no script, no data URL)
        secret = _secret_on(response.text)
        pending_cookie = client.cookies.get(SESSION_COOKIE)
        # The password alone opens nothing.
        assert (await client.get("/cases", follow_redirects=False)).status_code == 303
        assert (await client.get("/sign-in/two-factor")).text.count(secret[:4]) == 1  # same key

        wrong = await submit(client, "/sign-in/two-factor", {"code": "000000"})
        assert wrong.status_code == 400
        assert "wrong or has already been used" in wrong.text

        done = await submit(client, "/sign-in/two-factor", {"code": pyotp.TOTP(secret).now()})
        assert done.url.path == "/cases"
        assert "Ada Admin" in done.text
        assert client.cookies.get(SESSION_COOKIE) != pending_cookie  # a fresh session id

    async with platform.force_session(admin.force_id) as session:
        user = await session.get(User, admin.user_id)
        assert user is not None
        assert user.totp_confirmed_at is not None
        assert user.totp_secret is not None
        assert secret not in user.totp_secret  # stored encrypted
        assert platform.secret_box.decrypt(user.totp_secret) == secret
    assert len(await audit_events(platform, admin.force_id, "user.password_accepted")) == 1
    assert len(await audit_events(platform, admin.force_id, "user.two_factor_enrolled")) == 1
    [failed] = await audit_events(platform, admin.force_id, "user.two_factor_failed")
    assert failed.details["reason"] == "wrong_code"
    [signed_in] = await audit_events(platform, admin.force_id, "user.signed_in")
    assert signed_in.details["two_factor"] is True


async def test_an_enrolled_officer_gives_a_code_and_no_code_works_twice(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_enrolled_user(platform, name="PC Rory")
    async with browser(settings) as client:
        first = await sign_in(client, officer.email)
        assert first.url.path == "/sign-in/code"
        step = current_step()
        code = code_for(officer.secret, step + 1)  # the next step's code: inside the drift window
        done = await submit(client, "/sign-in/code", {"code": code})
        assert done.url.path == "/cases"
        assert "PC Rory" in done.text
        await submit(client, "/sign-out", {})

        again = await sign_in(client, officer.email)
        assert again.url.path == "/sign-in/code"
        replayed = await submit(client, "/sign-in/code", {"code": code})
        assert replayed.status_code == 400
        assert (await client.get("/cases", follow_redirects=False)).status_code == 303
        # An older code than the last one used is refused too, even inside the drift window.
        older = code_for(officer.secret, step)
        assert (await submit(client, "/sign-in/code", {"code": older})).status_code == 400

    reasons = [
        e.details["reason"]
        for e in await audit_events(platform, officer.force_id, "user.two_factor_failed")
    ]
    assert reasons and set(reasons) == {"wrong_code"}


async def test_wrong_codes_count_towards_the_lock_out(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_enrolled_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        statuses = [
            (await submit(client, "/sign-in/code", {"code": "12345x"[: 6 - i % 2]})).status_code
            for i in range(MAX_FAILURES)
        ]
        assert statuses == [400] * (MAX_FAILURES - 1) + [429]
        assert client.cookies.get(SESSION_COOKIE) in (None, "null")  # the pending marker is gone
        # Locked: even the right password and a right code get nowhere now.
        locked = await sign_in(client, officer.email)
        assert locked.status_code == 429
        assert (await client.get("/sign-in/code", follow_redirects=False)).headers[
            "location"
        ] == "/sign-in"


async def test_a_password_does_not_clear_failed_codes(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_enrolled_user(platform)
    async with browser(settings) as client:
        for _ in range(MAX_FAILURES - 1):
            await sign_in(client, officer.email)
            assert (await submit(client, "/sign-in/code", {"code": "000000"})).status_code == 400
        await sign_in(client, officer.email)
        assert (await submit(client, "/sign-in/code", {"code": "000000"})).status_code == 429


async def test_others_need_two_factor_only_when_their_force_says_so(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        assert (await sign_in(client, officer.email)).url.path == "/cases"
        await submit(client, "/sign-out", {})
        async with platform.system_session() as session:
            await session.execute(update(Force).values(two_factor_required=True))
            await session.commit()
        assert (await sign_in(client, officer.email)).url.path == "/sign-in/two-factor"


async def test_the_code_pages_need_a_password_first(settings: Settings, platform: Platform) -> None:
    async with browser(settings) as client:
        for path in ("/sign-in/code", "/sign-in/two-factor"):
            response = await client.get(path, follow_redirects=False)
            assert (response.status_code, response.headers["location"]) == (303, "/sign-in")
        await client.get("/sign-in")
        posted = await submit(client, "/sign-in/code", {"code": "123456"})
        assert posted.url.path == "/sign-in"


async def test_an_inactive_user_cannot_finish_with_a_code(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_enrolled_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        async with platform.system_session() as session:
            await session.execute(update(User).values(active=False))
            await session.commit()
        response = await submit(client, "/sign-in/code", {"code": await next_code(officer.secret)})
        assert response.url.path == "/sign-in"
        assert (await client.get("/cases", follow_redirects=False)).status_code == 303


async def test_the_fixture_signs_in_with_a_code(settings: Settings, platform: Platform) -> None:
    officer = await make_enrolled_user(platform, name="PC Clara")
    async with browser(settings) as client:
        for _ in range(2):
            response = await sign_in_with_code(client, officer)
            assert response.url.path == "/cases"
            await submit(client, "/sign-out", {})
    async with platform.force_session(officer.force_id) as session:
        last = await session.scalar(select(User.totp_last_step))
    assert last is not None


async def test_an_admin_enrols_and_signs_in_with_a_code_in_a_real_browser(
    settings: Settings, platform: Platform, builtin_plugins: Plugins, chromium: Any
) -> None:
    admin = await make_user(platform, role=Role.FORCE_ADMIN, name="Ada Admin")
    with serving(settings, builtin_plugins) as server:
        context = await chromium.new_context()
        page = await context.new_page()
        await page.goto(f"{server.url}/cases")
        assert page.url.endswith("/sign-in")
        await page.fill("#email", admin.email)
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/sign-in/two-factor")
        assert await page.locator(".exhibit-qr svg").count() == 1
        secret = (await page.locator("[data-secret]").inner_text()).replace(" ", "")
        await page.fill("#code", await next_code(secret))
        await page.click("button[type=submit]")
        await page.wait_for_url("**/cases")
        assert "Ada Admin" in await page.content()

        await page.click("text=Sign out")
        await page.wait_for_url("**/sign-in")
        await page.fill("#email", admin.email)
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/sign-in/code")
        await page.fill("#code", await next_code(secret))
        await page.click("button[type=submit]")
        await page.wait_for_url("**/cases")
        await context.close()


async def test_a_changed_secret_key_is_explained_and_the_cli_resets_two_factor(
    settings: Settings, platform: Platform
) -> None:
    admin = await make_enrolled_user(platform, role=Role.FORCE_ADMIN, name="Ada Admin")
    # The operator lost the key the authenticator's secret was stored with.
    other_key = msgspec.structs.replace(settings, secret_key=SecretBox.generate_key())
    async with browser(other_key) as client:
        assert (await sign_in(client, admin.email)).url.path == "/sign-in/code"
        refused = await submit(client, "/sign-in/code", {"code": await next_code(admin.secret)})
        assert refused.status_code == 503
        assert "secret key is not the one it was set up with" in refused.text
        assert (await client.get("/cases", follow_redirects=False)).status_code == 303

    reset = await asyncio.to_thread(
        invoke_exhibit,
        other_key,
        "user",
        "reset-two-factor",
        admin.email.upper(),
        "--force",
        "kent",
    )
    assert reset.returncode == 0, reset.stderr
    assert [
        e.actor for e in await audit_events(platform, admin.force_id, "user.two_factor_reset")
    ] == ["cli"]
    async with browser(other_key) as client:
        setup = await sign_in(client, admin.email)
        assert setup.url.path == "/sign-in/two-factor"  # a new authenticator, under the new key
        secret = _secret_on(setup.text)
        done = await submit(client, "/sign-in/two-factor", {"code": pyotp.TOTP(secret).now()})
        assert done.url.path == "/cases", done.text[:500]

    unknown = await asyncio.to_thread(
        invoke_exhibit, other_key, "user", "reset-two-factor", "nobody@kent.test", "--force", "kent"
    )
    assert unknown.returncode == 1 and "no user nobody@kent.test in kent" in unknown.stderr


async def test_a_secret_offered_under_an_earlier_key_is_offered_anew(
    settings: Settings, platform: Platform
) -> None:
    admin = await make_user(platform, role=Role.FORCE_ADMIN, name="Ada Admin")
    async with browser(settings) as client:
        first = _secret_on((await sign_in(client, admin.email)).text)
    other_key = msgspec.structs.replace(settings, secret_key=SecretBox.generate_key())
    async with browser(other_key) as client:
        offered = await sign_in(client, admin.email)
        assert offered.status_code == 200 and offered.url.path == "/sign-in/two-factor"
        secret = _secret_on(offered.text)
        assert secret != first
        done = await submit(client, "/sign-in/two-factor", {"code": pyotp.TOTP(secret).now()})
        assert done.url.path == "/cases"
