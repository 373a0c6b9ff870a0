"""A force admin and a user's access: lock-outs, password reset links, deactivation with a
reason, no-op role changes, and the way back from every admin page."""

import re

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from exhibit.accounts import lockout
from exhibit.accounts.admin import MAX_REASON
from exhibit.accounts.lockout import MAX_FAILURES
from exhibit.accounts.models import PasswordSetup, Role, User
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.web.officer.admin_users import sentence
from tests.fixtures.officer import PASSWORD, audit_events, browser, make_user, sign_in, submit
from tests.fixtures.two_factor import EnrolledPerson, make_enrolled_user, sign_in_with_code
from tests.officer.field_errors import assert_refused_by_field

LINK = re.compile(r"<code class=\"exhibit-token\" data-link>[^<]*(/set-password/[^<]+)</code>")
LOCKED = "Too many failed attempts"
NEW_PASSWORD = "a brand new passphrase"


async def _admin(platform: Platform) -> EnrolledPerson:
    return await make_enrolled_user(platform, role=Role.FORCE_ADMIN, name="Ada Admin")


async def _lock_out(settings: Settings, email: str) -> None:
    async with browser(settings) as stranger:
        for attempt in range(MAX_FAILURES):
            response = await sign_in(stranger, email, f"a guess by someone else {attempt}")
        assert LOCKED in response.text


async def test_an_admin_sees_a_lock_out_and_clears_it_with_a_reason(
    settings: Settings, platform: Platform
) -> None:
    admin = await _admin(platform)
    officer = await make_user(platform, name="PC Locked")
    page = f"/admin/users/{officer.user_id}"
    await _lock_out(settings, officer.email)
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        shown = await client.get(page)
        assert "Locked out until" in shown.text
        assert f'action="{page}/clear-lockout"' in shown.text

        no_reason = await submit(client, f"{page}/clear-lockout", {"reason": "  "})
        assert no_reason.status_code == 400
        assert "Enter why they may try to sign in again now" in no_reason.text
        assert "Locked out until" in no_reason.text

        cleared = await submit(client, f"{page}/clear-lockout", {"reason": "Phoned; ID checked"})
        assert cleared.status_code == 200
        assert "PC Locked can try to sign in again now." in cleared.text
        assert "Not locked out" in cleared.text
        again = await submit(client, f"{page}/clear-lockout", {"reason": "Twice"})
        assert "Nothing changed: PC Locked was not locked out." in again.text

    async with browser(settings) as officer_browser:
        assert (await sign_in(officer_browser, officer.email)).url.path == "/cases"
    [event] = await audit_events(platform, admin.force_id, "user.lockout_cleared")
    assert (event.reason, event.actor) == ("Phoned; ID checked", f"user:{admin.user_id}")
    assert event.object_id == str(officer.user_id)


async def test_a_password_reset_link_sets_a_new_password_and_ends_old_sessions(
    settings: Settings, platform: Platform
) -> None:
    admin = await _admin(platform)
    officer = await make_user(platform, name="PC Forgetful")
    page = f"/admin/users/{officer.user_id}"
    async with browser(settings) as officer_browser:
        await sign_in(officer_browser, officer.email)
        assert (await officer_browser.get("/cases", follow_redirects=False)).status_code == 200
        async with browser(settings) as client:
            await sign_in_with_code(client, admin)
            no_reason = await submit(client, f"{page}/password-reset", {})
            assert no_reason.status_code == 400
            assert "Enter why they need a new password" in no_reason.text
            made = await submit(client, f"{page}/password-reset", {"reason": "Forgot it"})
            assert made.status_code == 200
            found = LINK.search(made.text)
            assert found, made.text
            link = found.group(1)
            assert "Password reset link for PC Forgetful" in made.text
            assert LINK.search((await client.get(page)).text) is None  # shown once only
        # Until the link is used, the old password and the session both still work.
        assert (await officer_browser.get("/cases", follow_redirects=False)).status_code == 200
        await _lock_out(settings, officer.email)

        async with browser(settings) as newcomer:
            done = await _choose_new_password(newcomer, link)
            assert done.url.path == "/sign-in"
            signed_in = await sign_in(newcomer, officer.email, NEW_PASSWORD)
            assert signed_in.url.path == "/cases"  # the lock-out was lifted too
            assert (await sign_in(newcomer, officer.email, PASSWORD)).status_code == 400
        ended = await officer_browser.get("/cases", follow_redirects=False)
        assert ended.status_code == 303
        assert ended.headers["location"].startswith("/sign-in")

    [event] = await audit_events(platform, admin.force_id, "user.password_reset_link_issued")
    assert (event.reason, event.object_id) == ("Forgot it", str(officer.user_id))
    assert len(await audit_events(platform, admin.force_id, "user.password_set")) == 1
    assert await audit_events(platform, admin.force_id, "user.password_link_issued") == []


async def _choose_new_password(client: AsyncTestClient[Litestar], link: str) -> httpx.Response:
    assert (await client.get(link)).status_code == 200
    return await submit(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})


async def test_deactivating_asks_to_confirm_with_a_reason_and_so_does_reactivating(
    settings: Settings, platform: Platform
) -> None:
    admin = await _admin(platform)
    officer = await make_user(platform, name="PC Demo")
    page = f"/admin/users/{officer.user_id}"
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        shown = await client.get(page)
        assert f'action="{page}/deactivate"' not in shown.text  # no one-click form
        assert f'href="{page}/deactivate"' in shown.text

        confirm = await client.get(f"{page}/deactivate")
        assert confirm.status_code == 200
        assert "Deactivate PC Demo?" in confirm.text
        assert f'action="{page}/deactivate"' in confirm.text
        no_reason = await submit(client, f"{page}/deactivate", {"reason": ""})
        assert no_reason.status_code == 400
        assert "Enter why you are deactivating them" in no_reason.text
        assert await _active(platform, officer.user_id)

        done = await submit(client, f"{page}/deactivate", {"reason": "Left the force"})
        assert "PC Demo was deactivated." in done.text
        assert not await _active(platform, officer.user_id)
        already = await client.get(f"{page}/deactivate")
        assert already.url.path == page
        assert "already deactivated" in already.text

        assert "Reactivate PC Demo?" in (await client.get(f"{page}/reactivate")).text
        no_reason = await submit(client, f"{page}/reactivate", {})
        assert no_reason.status_code == 400
        assert "Enter why you are reactivating them" in no_reason.text
        assert not await _active(platform, officer.user_id)
        done = await submit(client, f"{page}/reactivate", {"reason": "Deactivated by mistake"})
        assert "PC Demo was reactivated." in done.text
        assert await _active(platform, officer.user_id)

        mine = f"/admin/users/{admin.user_id}/deactivate"
        refused = await client.get(mine)
        assert refused.url.path == f"/admin/users/{admin.user_id}"
        assert "You cannot deactivate yourself" in refused.text
        refused = await submit(client, mine, {"reason": "Trying anyway"})
        assert "You cannot deactivate yourself" in refused.text
        assert await _active(platform, admin.user_id)

    [off] = await audit_events(platform, admin.force_id, "user.deactivated")
    [on] = await audit_events(platform, admin.force_id, "user.reactivated")
    assert (off.reason, on.reason) == ("Left the force", "Deactivated by mistake")


async def test_choosing_the_role_a_user_has_changes_nothing(
    settings: Settings, platform: Platform
) -> None:
    admin = await _admin(platform)
    officer = await make_user(platform, name="PC Same")
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        url = f"/admin/users/{officer.user_id}/role"
        same = await submit(client, url, {"role": "officer"})
        assert "Nothing changed: PC Same is already: Officer." in same.text
        assert "is now" not in same.text
    assert await audit_events(platform, admin.force_id, "user.role_changed") == []


async def test_a_blank_or_over_long_reason_comes_back_by_its_field_as_typed(
    settings: Settings, platform: Platform
) -> None:
    """Clearing a lock-out, a reset link, resetting two-factor, deactivating, reactivating: the
    page again (400), the summary leading to the reason, which keeps what was typed; nothing
    changes."""
    admin = await _admin(platform)
    officer = await make_enrolled_user(platform, name="PC Locked")
    gone = await make_user(platform, role=Role.SUPERVISOR, name="PC Gone")
    async with force_transaction(platform, admin.force_id) as tx:
        await tx.session.execute(update(User).where(User.id == gone.user_id).values(active=False))
    await _lock_out(settings, officer.email)
    too_long = "Phoned; ID checked. " * 101
    over = f"A reason is at most {MAX_REASON} characters"
    forms = (
        (officer, "clear-lockout", "lockout-reason", "Enter why they may try to sign in again now"),
        (officer, "password-reset", "reset-reason", "Enter why they need a new password"),
        (
            officer,
            "reset-two-factor",
            "two-factor-reason",
            "Enter why they need a new authenticator",
        ),
        (officer, "deactivate", "reason", "Enter why you are deactivating them"),
        (gone, "reactivate", "reason", "Enter why you are reactivating them"),
    )
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        await client.get("/admin/users")
        for person, action, field, say_why in forms:
            url = f"/admin/users/{person.user_id}/{action}"
            blank = await submit(client, url, {"reason": "  "})
            assert_refused_by_field(blank, field, say_why, "  ")
            long = await submit(client, url, {"reason": too_long})
            assert_refused_by_field(long, field, over, too_long)

    async with platform.force_session(admin.force_id) as session:
        assert await lockout.any_lock_until(session, officer.email) is not None
        assert await session.scalar(select(PasswordSetup)) is None
    assert (await _active(platform, officer.user_id), await _active(platform, gone.user_id)) == (
        True,
        False,
    )
    async with platform.force_session(admin.force_id) as session:
        phone = await session.get(User, officer.user_id)
        assert phone is not None and phone.totp_confirmed_at is not None
    for done in (
        "lockout_cleared",
        "password_reset_link_issued",
        "two_factor_reset",
        "deactivated",
        "reactivated",
    ):
        assert await audit_events(platform, admin.force_id, f"user.{done}") == [], done


async def test_resetting_two_factor_asks_why_and_no_admin_resets_their_own(
    settings: Settings, platform: Platform
) -> None:
    admin = await _admin(platform)
    officer = await make_enrolled_user(platform, name="PC Phone")
    page = f"/admin/users/{officer.user_id}"
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        shown = await client.get(page)
        assert f'action="{page}/reset-two-factor"' in shown.text
        assert 'id="two-factor-reason"' in shown.text

        reset = await submit(client, f"{page}/reset-two-factor", {"reason": "Phone lost; ID seen"})
        assert reset.status_code == 200
        assert "PC Phone will set up two-factor sign-in again when they next sign in." in reset.text
        assert '<dd class="govuk-summary-list__value" data-two-factor>Not set up' in reset.text
        assert f'action="{page}/reset-two-factor"' not in reset.text
        again = await submit(client, f"{page}/reset-two-factor", {"reason": "Twice"})
        assert "Nothing changed: PC Phone has no two-factor sign-in set up." in again.text

        mine = f"/admin/users/{admin.user_id}"
        assert f'action="{mine}/reset-two-factor"' not in (await client.get(mine)).text
        own = await submit(client, f"{mine}/reset-two-factor", {"reason": "Mine, please"})
        assert "You cannot reset your own two-factor sign-in; ask another force admin" in own.text

    [event] = await audit_events(platform, admin.force_id, "user.two_factor_reset")
    assert (event.reason, event.actor) == ("Phone lost; ID seen", f"user:{admin.user_id}")
    assert event.object_id == str(officer.user_id)
    async with platform.force_session(admin.force_id) as session:
        me = await session.get(User, admin.user_id)
        assert me is not None and me.totp_confirmed_at is not None
    async with browser(settings) as officer_browser:
        # Their password still works, and no code is asked for: the authenticator is gone
        # (Kent does not require one of officers; the set-up comes where a force does).
        signed_in = await sign_in(officer_browser, officer.email)
        assert signed_in.url.path == "/cases"


async def test_a_role_not_offered_comes_back_by_the_role_field_and_changes_nothing(
    settings: Settings, platform: Platform
) -> None:
    """The user's page again (400), the summary leading to the role, which still shows the
    role they have: a role not offered cannot be shown as chosen."""
    admin = await _admin(platform)
    officer = await make_user(platform, name="PC Kept")
    page = f"/admin/users/{officer.user_id}"
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        await client.get(page)
        for role in ("king", ""):
            refused = await submit(client, f"{page}/role", {"role": role})
            assert_refused_by_field(refused, "role", "Choose a role", "officer")
    assert await _role(platform, officer.user_id) == Role.OFFICER
    assert await audit_events(platform, admin.force_id, "user.role_changed") == []


async def _role(platform: Platform, user_id: int) -> Role:
    async with platform.system_session() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user.role


async def test_every_admin_page_leads_back(settings: Settings, platform: Platform) -> None:
    admin = await _admin(platform)
    officer = await make_user(platform)
    back = {
        "/admin/users": "/admin",
        "/admin/categories": "/admin",
        "/admin/force": "/admin",
        "/admin/plugins": "/admin",
        f"/admin/users/{officer.user_id}": "/admin/users",
        f"/admin/users/{officer.user_id}/deactivate": f"/admin/users/{officer.user_id}",
    }
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        for path, parent in back.items():
            shown = await client.get(path)
            assert shown.status_code == 200, path
            assert f'<a class="govuk-back-link" href="{parent}">' in shown.text, path


def test_a_message_becomes_a_sentence_without_lower_casing_what_was_typed() -> None:
    assert sentence("a user Ann.Smith@Kent.test already exists") == (
        "A user Ann.Smith@Kent.test already exists"
    )
    assert sentence("") == ""


async def _active(platform: Platform, user_id: int) -> bool:
    async with platform.system_session() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user.active


async def test_clearing_a_lock_out_lifts_it_at_every_address_and_for_all(
    settings: Settings, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lockout, "MAX_FAILURES_ALL_CLIENTS", 2 * MAX_FAILURES)
    admin = await _admin(platform)
    officer = await make_user(platform, name="PC Locked")
    addresses = ("203.0.113.5", "203.0.113.6")
    for address in addresses:
        async with browser(settings, address=address) as stranger:
            for attempt in range(MAX_FAILURES):
                response = await sign_in(stranger, officer.email, f"guess {attempt}")
            assert LOCKED in response.text
    async with browser(settings, address="198.51.100.7") as own_desk:
        assert LOCKED in (await sign_in(own_desk, officer.email)).text  # locked for all
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        page = f"/admin/users/{officer.user_id}"
        cleared = await submit(client, f"{page}/clear-lockout", {"reason": "Phoned; ID checked"})
        assert "Not locked out" in cleared.text
    for address in (*addresses, "198.51.100.7"):
        async with browser(settings, address=address) as officer_browser:
            assert (await sign_in(officer_browser, officer.email)).url.path == "/cases"
