"""Force administration: users (links, roles, deactivation, two-factor reset) and settings."""

import html
import re
from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.accounts.models import PasswordSetup, Role, User
from exhibit.accounts.service import MAX_NAME
from exhibit.forces.models import Force
from exhibit.forces.models import ForcePlugin as ForcePluginRow
from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.fixtures.officer import HOST, audit_events, browser, make_user, sign_in, submit
from tests.fixtures.third_party import installed_plugin
from tests.fixtures.two_factor import EnrolledPerson, make_enrolled_user, sign_in_with_code
from tests.officer.field_errors import assert_refused_by_field

LINK = re.compile(r"<code class=\"exhibit-token\" data-link>[^<]*(/set-password/[^<]+)</code>")
NEW_PASSWORD = "a brand new passphrase"


async def _admin(platform: Platform) -> EnrolledPerson:
    return await make_enrolled_user(platform, role=Role.FORCE_ADMIN, name="Ada Admin")


async def test_an_admin_adds_a_user_who_sets_a_password_with_a_one_time_link(
    settings: Settings, platform: Platform
) -> None:
    admin = await _admin(platform)
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        listing = await client.get("/admin/users")
        assert listing.status_code == 200
        added = await submit(
            client,
            "/admin/users",
            {"name": "PC New", "email": "New@Kent.test", "role": "officer", "how": "link"},
        )
        assert added.status_code == 200, added.text
        found = LINK.search(added.text)
        assert found, added.text
        link = found.group(1)
        clash = await submit(
            client,
            "/admin/users",
            {"name": "Again", "email": "new@kent.test", "role": "officer", "how": "link"},
        )
        assert clash.status_code == 400
        assert "already exists" in clash.text
        bad = await submit(client, "/admin/users", {"name": "", "email": "x", "role": "king"})
        assert bad.status_code == 400
        for message in ("Enter the person", "Enter an email address", "Choose a role"):
            assert message in bad.text

    async with browser(settings) as newcomer:
        assert (await newcomer.get(link)).status_code == 200
        short = await submit(newcomer, link, {"password": "short", "confirm": "short"})
        assert short.status_code == 400
        differ = await submit(newcomer, link, {"password": NEW_PASSWORD, "confirm": "other"})
        assert differ.status_code == 400
        done = await submit(newcomer, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert done.url.path == "/sign-in"
        assert (await newcomer.get(link)).status_code == 404  # used once only
        signed_in = await sign_in(newcomer, "new@kent.test", NEW_PASSWORD)
        assert signed_in.url.path == "/cases"

    async with platform.force_session(admin.force_id) as session:
        stored = await session.scalar(select(PasswordSetup))
    assert stored is not None and stored.used_at is not None
    assert link.rsplit("/", 1)[1] not in stored.token_hash
    assert len(await audit_events(platform, admin.force_id, "user.created")) >= 2
    assert len(await audit_events(platform, admin.force_id, "user.password_link_issued")) == 1
    assert len(await audit_events(platform, admin.force_id, "user.password_set")) == 1


async def test_a_refused_new_user_comes_back_by_each_field_and_nobody_is_added(
    settings: Settings, platform: Platform
) -> None:
    """Each problem in the error summary and by its field, which keeps what was typed; no
    user is made and nothing is audited."""
    admin = await _admin(platform)
    long_name = "PC " + "Longname" * 25
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        await client.get("/admin/users")
        bad = await submit(
            client,
            "/admin/users",
            {"name": "  ", "email": "pc.new at kent", "role": "king", "how": "link"},
        )
        assert_refused_by_field(bad, "name", "Enter the person's name", "")
        must = "Enter an email address in the correct format, like name@force.police.uk"
        assert_refused_by_field(bad, "email", must, "pc.new at kent")
        spaced = await submit(
            client,
            "/admin/users",
            {"name": "PC Spaced", "email": "pc new@kent", "role": "officer", "how": "link"},
        )
        assert_refused_by_field(spaced, "email", must, "pc new@kent")
        empty = await submit(
            client, "/admin/users", {"name": "PC Empty", "role": "officer", "how": "link"}
        )
        empty_message = "Enter an email address, like name@force.police.uk"
        assert_refused_by_field(empty, "email", empty_message, "")
        assert_refused_by_field(bad, "role", "Choose a role", "")  # "king" is not offered
        long = await submit(
            client,
            "/admin/users",
            {"name": long_name, "email": "pc.long@kent.test", "role": "auditor", "how": "link"},
        )
        assert_refused_by_field(long, "name", f"Use {MAX_NAME} characters or fewer", long_name)
        assert '<option value="auditor" selected>' in long.text
    async with platform.force_session(admin.force_id) as session:
        assert list(await session.scalars(select(User.email))) == [admin.email]
    created = await audit_events(platform, admin.force_id, "user.created")
    assert [event.actor for event in created] == ["test"]  # the admin, made by the test


async def test_an_admin_changes_a_role_deactivates_and_resets_two_factor(
    settings: Settings, platform: Platform
) -> None:
    admin = await _admin(platform)
    officer = await make_enrolled_user(platform, name="PC Changing")
    async with browser(settings) as officer_browser:
        await sign_in_with_code(officer_browser, officer)
        assert (await officer_browser.get("/disposals")).status_code in (403, 404)
        async with browser(settings) as client:
            await sign_in_with_code(client, admin)
            page = f"/admin/users/{officer.user_id}"
            assert (await submit(client, f"{page}/role", {"role": "supervisor"})).status_code == 200
            assert "Supervisor" in (await client.get(page)).text
            assert (await submit(client, f"{page}/role", {"role": "king"})).status_code == 400
            own = await submit(client, f"/admin/users/{admin.user_id}/role", {"role": "officer"})
            assert "cannot change your own role" in own.text

            await submit(client, f"{page}/reset-two-factor", {"reason": "Lost phone"})
            await submit(client, f"{page}/deactivate", {"reason": "Left the force"})
            assert "Deactivated" in (await client.get(page)).text
        # Deactivation ends the officer's session at once.
        assert (await officer_browser.get("/cases", follow_redirects=False)).status_code == 303

    async with platform.force_session(admin.force_id) as session:
        changed = await session.get(User, officer.user_id)
        me = await session.get(User, admin.user_id)
    assert changed is not None and me is not None
    assert (changed.role, changed.active, changed.totp_secret) == (Role.SUPERVISOR, False, None)
    assert me.role == Role.FORCE_ADMIN
    [role] = await audit_events(platform, admin.force_id, "user.role_changed")
    assert role.details == {"from": "officer", "to": "supervisor"}
    assert role.actor == f"user:{admin.user_id}"
    assert len(await audit_events(platform, admin.force_id, "user.two_factor_reset")) == 1
    [deactivated] = await audit_events(platform, admin.force_id, "user.deactivated")
    assert deactivated.reason == "Left the force"


async def test_an_admin_of_another_force_finds_no_such_user(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    other = await make_enrolled_user(platform, "essex", role=Role.FORCE_ADMIN)
    async with browser(settings) as client:
        await sign_in_with_code(client, other)
        assert (await client.get(f"/admin/users/{officer.user_id}")).status_code == 404
        for action in ("deactivate", "reactivate", "clear-lockout", "password-reset"):
            url = f"/admin/users/{officer.user_id}/{action}"
            refused = await submit(client, url, {"reason": "Not mine to change"})
            assert refused.status_code == 404, action
        assert officer.email not in (await client.get("/admin/users")).text
    async with platform.force_session(officer.force_id) as session:
        assert (await session.get(User, officer.user_id)).active  # type: ignore[union-attr]


async def test_an_address_taken_in_another_force_is_refused_not_an_error(
    settings: Settings, platform: Platform
) -> None:
    """Addresses are unique across forces, while the admin's session sees only their own."""
    officer = await make_user(platform)
    other = await make_enrolled_user(platform, "essex", role=Role.FORCE_ADMIN)
    async with browser(settings) as client:
        await sign_in_with_code(client, other)
        await client.get("/admin/users")
        taken = await submit(
            client,
            "/admin/users",
            {"name": "Copy", "email": officer.email, "role": "officer", "how": "link"},
        )
        assert taken.status_code == 400
        assert "already exists" in taken.text
    async with platform.system_session() as session:
        owners = await session.scalars(select(User.force_id).where(User.email == officer.email))
        assert list(owners) == [officer.force_id]


async def test_an_admin_changes_the_force_settings_and_bad_values_change_nothing(
    settings: Settings, platform: Platform
) -> None:
    admin = await _admin(platform)
    form = {
        "contact_details": "Call 101",
        "privacy_notice": "We keep your footage safe.",
        "welsh_enabled": "yes",
        "default_max_files": "10",
        "default_max_file_mb": "500",
        "default_expiry_days": "14",
        "two_factor_required": "yes",
        "exhibit_reference_format": "{initials}-{year}-{n}",
        "declined_retention_days": "30",
        "reminder_hours_before": "24",
        "contact_purge_days": "14",
    }
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        assert (await client.get("/admin/force")).status_code == 200
        saved = await submit(client, "/admin/force", form)
        assert saved.status_code == 200
        assert "settings were saved" in saved.text
        bad = await submit(
            client, "/admin/force", form | {"default_max_files": "lots", "contact_details": "x"}
        )
        assert bad.status_code == 400
        assert "Enter a number of files from 1 to" in bad.text
        bad_hours = await submit(client, "/admin/force", form | {"reminder_hours_before": "-1"})
        assert bad_hours.status_code == 400
        assert "Enter a number of hours from 0 to 168" in bad_hours.text
        no_number = await submit(client, "/admin/force", form | {"exhibit_reference_format": "X"})
        assert no_number.status_code == 400
        assert "must contain {n}" in no_number.text
    async with platform.force_session(admin.force_id) as session:
        force = await session.get(Force, admin.force_id)
    assert force is not None
    assert (force.contact_details, force.welsh_enabled, force.two_factor_required) == (
        "Call 101",
        True,
        True,
    )
    assert (force.default_max_files, force.default_max_file_bytes) == (10, 500 * 1000**2)
    assert (force.exhibit_reference_format, force.declined_retention_days) == (
        "{initials}-{year}-{n}",
        30,
    )
    assert (force.reminder_hours_before, force.contact_purge_days) == (24, 14)
    assert force.disposal_needs_approval is False  # unticked
    [event] = await audit_events(platform, admin.force_id, "force.settings_changed")
    assert "two_factor_required" in event.details["changed_fields"]


async def test_an_admin_writes_the_forces_texts_in_welsh_too(
    settings: Settings, platform: Platform
) -> None:
    admin = await _admin(platform)
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        assert 'name="privacy_notice_cy"' in (await client.get("/admin/force")).text
        form = {
            "name_cy": "Heddlu Caint",
            "contact_details": "Call 101",
            "contact_details_cy": "Ffoniwch 101",
            "privacy_notice": "We keep your footage safe.",
            "privacy_notice_cy": "Rydym yn cadw eich lluniau'n ddiogel.",
            "welsh_enabled": "yes",
            "default_max_files": "25",
            "default_max_file_mb": "500",
            "default_expiry_days": "7",
            "exhibit_reference_format": "{initials}/{n}",
            "declined_retention_days": "90",
            "reminder_hours_before": "0",
            "contact_purge_days": "30",
        }
        too_long = await submit(client, "/admin/force", form | {"contact_details_cy": "x" * 1001})
        saved = await submit(client, "/admin/force", form)
        shown = (await client.get("/admin/force")).text

    assert too_long.status_code == 400
    assert "Use 1,000 characters or fewer" in too_long.text
    assert "settings were saved" in saved.text
    assert 'name="contact_details_cy" rows="3" lang="cy"' in shown
    assert ">Ffoniwch 101</textarea>" in shown
    async with platform.force_session(admin.force_id) as session:
        force = await session.get(Force, admin.force_id)
    assert force is not None
    assert 'name="name_cy" type="text" value="Heddlu Caint" lang="cy"' in shown
    assert (force.name_cy, force.contact_details_cy, force.privacy_notice_cy) == (
        "Heddlu Caint",
        "Ffoniwch 101",
        "Rydym yn cadw eich lluniau'n ddiogel.",
    )
    [event] = await audit_events(platform, admin.force_id, "force.settings_changed")
    assert {"name_cy", "contact_details_cy", "privacy_notice_cy"} <= set(
        event.details["changed_fields"]
    )


async def test_admin_pages_are_for_force_admins_only(
    settings: Settings, platform: Platform
) -> None:
    supervisor = await make_user(platform, role=Role.SUPERVISOR)
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        for path in ("/admin", "/admin/users", "/admin/force", "/admin/plugins"):
            assert (await client.get(path)).status_code == 403, path


async def test_each_plugin_is_named_by_what_it_does(settings: Settings, platform: Platform) -> None:
    admin = await make_enrolled_user(platform, role=Role.FORCE_ADMIN, name="Ada Admin")
    app = create_app(settings, load_plugins())
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        await sign_in_with_code(client, admin)
        listing = (await client.get("/admin/plugins")).text
        page = (await client.get("/admin/plugins/notify_sms")).text

    # From each package's description, less "Exhibit plugin:" and the full stop.
    for summary in (
        "Evidence storage in a folder on this server",
        "SMS delivery of upload links and receipts",
        "Evidence storage in S3 and S3-compatible stores",
    ):
        assert f'<span class="govuk-body-s" data-summary>{summary}</span>' in listing
    assert '<span class="govuk-caption-l">Plugin notify_sms</span>' in page
    assert '<h1 class="govuk-heading-l">SMS delivery of upload links and receipts</h1>' in page


FORM_PLUGIN = """
from typing import Literal

import msgspec
from exhibit.plugins import Secret, hookimpl


class Login(msgspec.Struct, forbid_unknown_fields=True):
    user: str
    password: Secret


class Config(msgspec.Struct, forbid_unknown_fields=True):
    endpoint: str
    api_key: Secret | None = None
    retries: int = 3
    mode: Literal["live", "test"] = "live"
    verbose: bool = False
    login: Login | None = None

    def __post_init__(self) -> None:
        if not self.endpoint.startswith("https://"):
            raise ValueError("endpoint must start with https://")


@hookimpl
def exhibit_plugin_config():
    return Config
"""


async def test_an_admin_configures_a_plugin_through_its_generated_form(
    settings: Settings, platform: Platform, tmp_path: Path
) -> None:
    admin = await _admin(platform)
    form = {
        "enabled": "yes",
        "endpoint": "https://api.example",
        "api_key": "very-secret-key-value",
        "retries": "5",
        "mode": "test",
        "verbose": "yes",
        "login": '{"user": "kent", "password": {"value": "nested-secret-value"}}',
    }
    url = "/admin/plugins/formtest"
    with installed_plugin(tmp_path / "site", "formtest", FORM_PLUGIN):
        app = create_app(settings, load_plugins())
        async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
            await sign_in_with_code(client, admin)
            listing = await client.get("/admin/plugins")
            assert f'href="{url}"' in listing.text
            blank = await client.get(url)
            assert blank.status_code == 200
            assert 'name="api_key" type="password"' in blank.text
            assert '<option value="test"' in blank.text

            wrong = await submit(client, url, form | {"endpoint": "http://plain"})
            assert wrong.status_code == 400
            assert 'id="endpoint-error"' in wrong.text
            assert "very-secret-key-value" not in wrong.text  # never echoed, even on an error
            for bad, field in (({"retries": "x"}, "retries"), ({"login": "{oops"}, "login")):
                refused = await submit(client, url, form | bad)
                assert refused.status_code == 400
                assert f'id="{field}-error"' in refused.text
            missing = await submit(client, url, form | {"login": '{"user": "kent"}'})
            assert missing.status_code == 400

            saved = await submit(client, url, form)
            assert saved.status_code == 200, saved.text
            assert "formtest is enabled" in saved.text
            for secret in ("very-secret-key-value", "nested-secret-value"):
                assert secret not in saved.text
            assert "Stored, encrypted" in saved.text
            assert '"encrypted": "********"' in html.unescape(saved.text)
            first = await _stored(platform, admin.force_id)
            assert "secret-value" not in str(first)

            # Saved again with the secret box empty and the masked nested secret as shown:
            # both stored secrets are kept exactly as they were.
            shown = (await client.get(url)).text
            login = shown.split('name="login"')[1].split(">", 1)[1].split("</textarea>")[0]
            kept = await submit(
                client, url, form | {"api_key": "", "login": html.unescape(login), "retries": "7"}
            )
            assert kept.status_code == 200
            second = await _stored(platform, admin.force_id)
            assert second["api_key"] == first["api_key"]
            assert second["login"] == first["login"]
            assert second["retries"] == 7
            assert (await client.get("/admin/plugins/no_such_plugin")).status_code == 404
    events = await audit_events(platform, admin.force_id, "plugin.enabled")
    assert [e.details["changed_fields"] for e in events] == [
        ["api_key", "endpoint", "login", "mode", "retries", "verbose"],
        ["retries"],
    ]


async def _stored(platform: Platform, force_id: int) -> dict[str, object]:
    async with platform.force_session(force_id) as session:
        return (await session.scalars(select(ForcePluginRow))).one().config
