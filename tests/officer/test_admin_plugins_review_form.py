"""A force administrator sets the built-in plugins up through /admin/plugins/<id>.

Each test is a defect found by doing so: a 500 for a deeply nested JSON setting or for NaN,
limits that let a plugin be enabled with settings it cannot use, msgspec's paths and regexes
as the error, fields without a label in words or a hint, an optional secret that could never
be removed, and an environment reference that is not set saved without a word.
"""

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.accounts.models import Role
from exhibit.forces.models import ForcePlugin
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig, load_config
from exhibit.plugins.manager import load_plugins
from exhibit.secrets import SecretBox
from exhibit.settings import Settings
from exhibit.web.app import create_app
from exhibit_media_tools.config import Config as MediaConfig
from tests.fixtures.officer import HOST, audit_events, submit
from tests.fixtures.two_factor import EnrolledPerson, make_enrolled_user, sign_in_with_code

NOTIFY_KEY = "kent-live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
SMS = {"enabled": "yes", "provider": "govuk_notify", "sender_id": "Kent Police"}
ERRORS = re.compile(r'<li><a href="#([^"]+)">([^<]*)</a></li>')


@asynccontextmanager
async def admin_client(
    settings: Settings, platform: Platform
) -> AsyncIterator[tuple[AsyncTestClient[Litestar], EnrolledPerson]]:
    """A signed-in force administrator's browser, with every installed plugin loaded."""
    admin = await make_enrolled_user(platform, role=Role.FORCE_ADMIN, name="Ada Admin")
    app = create_app(settings, load_plugins())
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        await sign_in_with_code(client, admin)
        yield client, admin


async def stored(platform: Platform, force_id: int, plugin_id: str) -> ForcePlugin | None:
    async with platform.force_session(force_id) as session:
        row: ForcePlugin | None = await session.scalar(
            select(ForcePlugin).where(ForcePlugin.plugin_id == plugin_id)
        )
        return row


def errors(response: httpx.Response) -> list[tuple[str, str]]:
    """The error summary's (field id, message) pairs."""
    return [(field, html.unescape(text)) for field, text in ERRORS.findall(response.text)]


async def test_deeply_nested_json_is_an_error_on_its_field_not_a_500(
    settings: Settings, platform: Platform
) -> None:
    async with admin_client(settings, platform) as (client, admin):
        await client.get("/admin/plugins/notify_sms")
        nested = "[" * 100_000 + "]" * 100_000
        refused = await submit(client, "/admin/plugins/notify_sms", SMS | {"govuk_notify": nested})
        assert refused.status_code == 400
        assert errors(refused) == [("govuk_notify", "GOV.UK Notify is nested too deeply")]
    assert await stored(platform, admin.force_id, "notify_sms") is None


async def test_nan_and_infinity_are_refused_and_nothing_is_saved(
    settings: Settings, platform: Platform
) -> None:
    async with admin_client(settings, platform) as (client, admin):
        await client.get("/admin/plugins/media_tools")
        for value in ("nan", "inf", "-inf"):
            refused = await submit(
                client, "/admin/plugins/media_tools", {"enabled": "yes", "timeout_seconds": value}
            )
            assert refused.status_code == 400, value
            assert errors(refused) == [
                (
                    "timeout_seconds",
                    "Time limit per file (seconds) must be a number (not NaN or infinity)",
                )
            ]
    assert await stored(platform, admin.force_id, "media_tools") is None


def test_nan_is_refused_however_the_settings_arrive() -> None:
    """The CLI's ``--config`` is read with ``json.loads``, which accepts NaN."""
    box = SecretBox(SecretBox.generate_key())
    with pytest.raises(InvalidPluginConfig, match=r"finite number - at `\$\.proxy_max_seconds`"):
        load_config(
            "media_tools", MediaConfig, {"proxy_max_seconds": float("nan")}, box, force_slug="k"
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("thumbnail_size", "-1", "Thumbnail size (pixels) must be 16 or more"),
        ("memory_mb", "0", "Memory limit (MB) must be 64 or more"),
        ("cpu_seconds", "10000000000000000000000", "CPU time limit per file (seconds) must be"),
        ("timeout_seconds", "0", "Time limit per file (seconds) must be more than 0"),
    ],
)
async def test_media_tools_refuses_limits_its_sandbox_cannot_apply(
    settings: Settings, platform: Platform, field: str, value: str, message: str
) -> None:
    async with admin_client(settings, platform) as (client, admin):
        await client.get("/admin/plugins/media_tools")
        refused = await submit(
            client, "/admin/plugins/media_tools", {"enabled": "yes", field: value}
        )
        assert refused.status_code == 400
        [(where, said)] = errors(refused)
        assert where == field and said.startswith(message), said
    assert await stored(platform, admin.force_id, "media_tools") is None


async def test_errors_are_in_words_on_the_field_they_concern(
    settings: Settings, platform: Platform
) -> None:
    async with admin_client(settings, platform) as (client, _admin):
        await client.get("/admin/plugins/notify_sms")
        notify = f'{{"api_key": {{"value": "{NOTIFY_KEY}"}}, "template_id": "t"}}'
        cases = [
            ("/admin/plugins/notify_sms", SMS | {"govuk_notify": notify, "max_segments": "99"}),
            (
                "/admin/plugins/notify_email",
                {
                    "provider": "smtp",
                    "from_address": "a@b.uk",
                    "smtp": '{"host": "mail", "port": 70000}',
                },
            ),
            ("/admin/plugins/storage_s3", {"bucket": "kent", "object_lock_days": "-5"}),
            ("/admin/plugins/share_cps", {"drop": '{"kind": "s3", "bucket": "cps-drop"}'}),
        ]
        expected = [
            ("max_segments", "Longest message (text message segments) must be 10 or less"),
            ("smtp", "SMTP relay: port must be 65535 or less"),
            ("object_lock_days", "Object Lock retention (days) must be 0 or more"),
            ("drop", "Drop location needs access_key_id"),
        ]
        for (url, form), error in zip(cases, expected, strict=True):
            refused = await submit(client, url, form)
            assert refused.status_code == 400
            assert errors(refused) == [error]
            assert "$." not in refused.text and "Expected `" not in refused.text
            name = error[0]
            control = re.search(rf'<(?:input|textarea|select)[^>]* id="{name}"[^>]*>', refused.text)
            assert control is not None
            assert f"{name}-error" in control.group(0)  # the message is read with the field
            assert f'<p id="{name}-error" class="govuk-error-message">' in refused.text


@pytest.mark.parametrize(
    "plugin_id", ["notify_sms", "notify_email", "storage_s3", "share_cps", "media_tools"]
)
async def test_every_field_has_a_label_in_words_and_a_hint(
    settings: Settings, platform: Platform, plugin_id: str
) -> None:
    async with admin_client(settings, platform) as (client, _admin):
        page = (await client.get(f"/admin/plugins/{plugin_id}")).text
    controls = re.findall(r"<(?:input|textarea|select) ([^>]*)>", page)
    names = [
        re.search(r'name="([^"]+)"', c).group(1)  # type: ignore[union-attr]
        for c in controls
        if 'type="hidden"' not in c
    ]
    for name in names:
        if name == "enabled" or name.endswith("__remove"):
            continue
        label = re.search(rf'<label [^>]*for="{name}">([^<]*)</label>', page)
        legend = re.search(rf'<legend [^>]*>([^<]*)</legend>\s*<div id="{name}-hint"', page)
        text = (label or legend).group(1) if (label or legend) else ""  # type: ignore[union-attr]
        assert text and "_" not in text, (name, text)
        assert f'id="{name}-hint"' in page, name
        hint = re.search(rf'id="{name}-hint" class="govuk-hint">(.*?)</div>', page, re.DOTALL)
        assert hint is not None and hint.group(1).strip(), name


async def test_an_optional_secret_can_be_removed(settings: Settings, platform: Platform) -> None:
    """Going from access keys to the machine's role needs the stored secret gone."""
    url = "/admin/plugins/storage_s3"
    keys = {"enabled": "yes", "bucket": "kent-evidence", "access_key_id": "AKIAKENT"}
    async with admin_client(settings, platform) as (client, admin):
        await client.get(url)
        saved = await submit(client, url, keys | {"secret_access_key": "s3-secret-value"})
        assert saved.status_code == 200, errors(saved)
        assert 'name="secret_access_key__remove"' in saved.text
        both = await submit(
            client, url, keys | {"secret_access_key": "new", "secret_access_key__remove": "yes"}
        )
        assert both.status_code == 400
        assert errors(both)[0][0] == "secret_access_key"
        removed = await submit(
            client, url, keys | {"access_key_id": "", "secret_access_key__remove": "yes"}
        )
        assert removed.status_code == 200, errors(removed)
        assert "s3-secret-value" not in removed.text
    row = await stored(platform, admin.force_id, "storage_s3")
    assert row is not None
    assert row.config["access_key_id"] is None and row.config["secret_access_key"] is None
    events = await audit_events(platform, admin.force_id, "plugin.enabled")
    assert events[-1].details == {"changed_fields": ["access_key_id", "secret_access_key"]}
    assert "s3-secret-value" not in str([e.details for e in events])


async def test_a_secret_read_from_an_unset_variable_is_saved_with_a_warning(
    settings: Settings, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "/admin/plugins/notify_sms"
    name = "EXHIBIT_FORCE_KENT_NOTIFY_KEY"
    monkeypatch.delenv(name, raising=False)
    notify = f'{{"api_key": {{"env": "{name}"}}, "template_id": "t"}}'
    async with admin_client(settings, platform) as (client, admin):
        page = await client.get(url)
        assert "EXHIBIT_FORCE_KENT_NAME" in html.unescape(page.text)  # this force's prefix
        saved = await submit(client, url, SMS | {"govuk_notify": notify})
        assert saved.status_code == 200, errors(saved)
        said = html.unescape(saved.text)
        assert f"the environment variable {name} is not set here" in said
        monkeypatch.setenv(name, NOTIFY_KEY)
        again = await submit(client, url, SMS | {"govuk_notify": notify})
        assert "notify_sms is enabled; settings saved." in again.text
        assert "is not set here" not in again.text
        assert NOTIFY_KEY not in again.text
    row = await stored(platform, admin.force_id, "notify_sms")
    assert row is not None and row.enabled


async def test_storage_s3_refuses_a_bucket_name_s3_cannot_have(
    settings: Settings, platform: Platform
) -> None:
    async with admin_client(settings, platform) as (client, admin):
        await client.get("/admin/plugins/storage_s3")
        for bucket in ("Kent Evidence!", "kent/evidence", "x" * 256):
            refused = await submit(
                client, "/admin/plugins/storage_s3", {"enabled": "yes", "bucket": bucket}
            )
            assert refused.status_code == 400
            assert errors(refused)[0][0] == "bucket"
            assert errors(refused)[0][1].startswith("Bucket must be a bucket name")
        assert await stored(platform, admin.force_id, "storage_s3") is None
        # A bucket made before 2018 may have capitals and underscores: S3 still serves it.
        legacy = await submit(
            client, "/admin/plugins/storage_s3", {"enabled": "yes", "bucket": "Kent_Evidence"}
        )
        assert legacy.status_code == 200, legacy.text
    row = await stored(platform, admin.force_id, "storage_s3")
    assert row is not None and row.config["bucket"] == "Kent_Evidence"


def test_unmatched_messages_keep_their_words(monkeypatch: Any) -> None:
    """A plugin's own message is kept, after the label of the field it is at."""
    from exhibit.web.officer.admin_plugins import PluginField, plain_error

    fields = [PluginField("drop", "json", False, True, label="Drop location")]
    said = plain_error("give a private_key or a password - at `$.drop`", fields)
    assert said == ("drop", "Drop location: give a private_key or a password")


async def test_a_plugin_whose_stored_settings_no_longer_fit_can_still_be_turned_off(
    settings: Settings, platform: Platform
) -> None:
    """Stored settings that no longer load (a newer plugin's rule, a secret the key no longer
    opens) cannot stop an administrator turning the plugin off: that needs none."""
    async with admin_client(settings, platform) as (client, admin):
        await client.get("/admin/plugins/storage_s3")
        saved = await submit(
            client, "/admin/plugins/storage_s3", {"enabled": "yes", "bucket": "kent-evidence"}
        )
        assert saved.status_code == 200, saved.text
        async with force_transaction(platform, admin.force_id) as tx:
            row = await tx.session.scalar(
                select(ForcePlugin).where(ForcePlugin.plugin_id == "storage_s3")
            )
            assert row is not None
            row.config = {**row.config, "object_lock_days": -5}  # as an older plugin took
        page = await client.get("/admin/plugins/storage_s3")
        assert 'action="/admin/plugins/storage_s3/turn-off"' in page.text

        turned_off = await submit(client, "/admin/plugins/storage_s3/turn-off", {})

    assert turned_off.status_code == 200
    assert "storage_s3 is disabled; its settings are kept." in html.unescape(turned_off.text)
    row = await stored(platform, admin.force_id, "storage_s3")
    assert row is not None and not row.enabled
    assert row.config["object_lock_days"] == -5
    assert "turn-off" not in turned_off.text  # nothing left to turn off
