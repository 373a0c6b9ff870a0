"""The plugin system as a third party meets it: install, enable per force, hooks, errors."""

import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol, cast

import pytest
from sqlalchemy import Row, select, text

from exhibit.audit import log as audit
from exhibit.forces.models import ForcePlugin, PluginFailure
from exhibit.forces.plugin_settings import configure_plugin, enabled_plugins
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins import Secret, events
from exhibit.plugins.config import InvalidPluginConfig
from exhibit.plugins.context import ForceInfo
from exhibit.plugins.manager import PluginError, load_plugins, summary
from exhibit.settings import Settings
from tests.fixtures.third_party import installed_plugin

LISTENER = """
import msgspec
from exhibit.plugins import Secret, hookimpl

calls = []

class Config(msgspec.Struct, forbid_unknown_fields=True):
    threshold: int
    api_key: Secret | None = None

@hookimpl
def exhibit_plugin_config():
    return Config

@hookimpl
async def exhibit_audit_event_written(force, config, event):
    calls.append((force.slug, event.action, config.threshold))

# A test may set this to a coroutine function the declined hook awaits (a plugin's own work).
on_declined = None

@hookimpl
async def exhibit_item_declined(force, reason):
    calls.append((force.slug, "declined", reason))
    if on_declined is not None:
        await on_declined()
"""


class _ListenerModule(Protocol):
    """The installed LISTENER module, as the tests read and set it."""

    calls: list[tuple[str, str, object]]
    on_declined: Callable[[], Awaitable[None]] | None


class _ListenerConfig(Protocol):
    """LISTENER's ``Config`` as these tests set it (with an ``api_key``): the class is made
    when the plugin is installed at run time, so the type checker cannot see it."""

    threshold: int
    api_key: Secret


async def _two_forces(platform: Platform) -> tuple[int, int]:
    async with platform.system_session() as session:
        a = await create_force(session, slug="force-a", name="Force A", actor="test")
        b = await create_force(session, slug="force-b", name="Force B", actor="test")
        await session.commit()
        return a.id, b.id


async def _configure_listener(
    platform: Platform, force_id: int, config: object, enabled: bool = True
) -> ForcePlugin:
    """Enable (or disable) the listener plugin for a force, through the real settings path."""
    async with force_transaction(platform, force_id) as tx:
        return await configure_plugin(
            tx.session,
            platform.plugins,
            platform.secret_box,
            force_id,
            "listener",
            enabled=enabled,
            config=config,
            actor="test",
        )


@pytest.fixture
async def listener_platform(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[Platform, _ListenerModule]]:
    with installed_plugin(tmp_path / "site", "listener", LISTENER) as module_name:
        platform = Platform(settings, load_plugins())
        yield platform, cast("_ListenerModule", sys.modules[module_name])
        await platform.close()


async def _audited_change(platform: Platform, force_id: int, action: str) -> None:
    async with force_transaction(platform, force_id) as tx:
        await audit.record(
            tx.session, force_id, actor="test", action=action, object_type="case", object_id=1
        )
        tx.emit("exhibit_item_declined", item=None, actor="user:1", reason="blurred")


async def test_a_third_party_plugin_is_found_through_its_entry_point(
    listener_platform: tuple[Platform, _ListenerModule],
) -> None:
    platform, _ = listener_platform
    info = platform.plugins.installed["listener"]
    assert (info.distribution, info.version, info.builtin) == (
        "exhibit_test_listener",
        "0.1.0",
        False,
    )
    # The five plugins of this workspace are installed the same way.
    for plugin_id in ("notify_sms", "notify_email", "storage_s3", "share_cps", "media_tools"):
        assert not platform.plugins.installed[plugin_id].builtin


def test_a_plugins_summary_is_its_package_description_in_a_few_words() -> None:
    assert (
        summary("Exhibit plugin: SMS delivery of upload links.") == "SMS delivery of upload links"
    )
    assert summary("  exhibit plugin:Redaction  ") == "Redaction"
    assert summary("Body-worn video import for Exhibit") == "Body-worn video import for Exhibit"
    assert summary("") == ""


async def test_event_hooks_reach_only_the_forces_that_enabled_the_plugin(
    listener_platform: tuple[Platform, _ListenerModule],
) -> None:
    platform, module = listener_platform
    force_a, force_b = await _two_forces(platform)
    await _configure_listener(platform, force_a, {"threshold": 7})
    module.calls.clear()

    await _audited_change(platform, force_a, "case.created")
    await _audited_change(platform, force_b, "case.created")

    assert sorted(module.calls) == [
        ("force-a", "case.created", 7),
        ("force-a", "declined", "blurred"),
    ]


async def test_a_disabled_plugin_hears_nothing(
    listener_platform: tuple[Platform, _ListenerModule],
) -> None:
    platform, module = listener_platform
    force_a, _ = await _two_forces(platform)
    for enabled in (True, False):
        await _configure_listener(platform, force_a, {"threshold": 1}, enabled=enabled)
    module.calls.clear()
    await _audited_change(platform, force_a, "case.created")
    assert module.calls == []


async def test_a_rolled_back_change_is_never_announced(
    listener_platform: tuple[Platform, _ListenerModule],
) -> None:
    platform, module = listener_platform
    force_a, _ = await _two_forces(platform)
    await _configure_listener(platform, force_a, {"threshold": 1})
    module.calls.clear()
    with pytest.raises(RuntimeError):
        async with force_transaction(platform, force_a) as tx:
            await audit.record(
                tx.session,
                force_a,
                actor="t",
                action="case.created",
                object_type="case",
                object_id=1,
            )
            raise RuntimeError("the change failed")
    assert module.calls == []


async def test_a_hook_may_use_the_database_while_it_runs(
    listener_platform: tuple[Platform, _ListenerModule],
) -> None:
    platform, module = listener_platform
    force_a, _ = await _two_forces(platform)
    await _configure_listener(platform, force_a, {"threshold": 1})

    async def plugin_writes() -> None:
        async with force_transaction(platform, force_a) as tx:
            await audit.record(
                tx.session, force_a, actor="plugin", action="note", object_type="case", object_id=1
            )

    module.on_declined = plugin_writes
    try:
        await _audited_change(platform, force_a, "item.declined")
    finally:
        module.on_declined = None

    async with platform.force_session(force_a) as session:
        assert (await session.scalars(select(PluginFailure))).all() == []
        actions = (await session.scalars(text("SELECT action FROM audit_event ORDER BY seq"))).all()
    assert actions[-2:] == ["item.declined", "note"]


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"threshold": "high"}, "$.threshold"),
        ({"threshold": 1, "treshold": 2}, "treshold"),
        ({}, "threshold"),
        ({"threshold": 1, "api_key": "in plain text"}, "$.api_key"),
    ],
)
async def test_an_invalid_configuration_is_refused_naming_the_field(
    listener_platform: tuple[Platform, _ListenerModule], config: dict[str, object], field: str
) -> None:
    platform, _ = listener_platform
    force_a, _ = await _two_forces(platform)
    with pytest.raises(InvalidPluginConfig, match="listener") as refused:
        await _configure_listener(platform, force_a, config)
    assert field in str(refused.value)
    async with platform.force_session(force_a) as session:
        assert (await session.scalars(select(ForcePlugin))).all() == []


async def test_secrets_are_encrypted_at_rest_and_revealed_only_to_the_plugin(
    listener_platform: tuple[Platform, _ListenerModule], caplog: pytest.LogCaptureFixture
) -> None:
    platform, _ = listener_platform
    force_a, _ = await _two_forces(platform)
    caplog.set_level(logging.DEBUG)
    await _configure_listener(
        platform, force_a, {"threshold": 1, "api_key": {"value": "sk-live-0123456789"}}
    )
    rows: list[Row[Any]] = []
    async with platform.system_session() as session:
        for table in ("force_plugin", "audit_event"):
            rows += (await session.execute(text(f"SELECT * FROM {table}"))).all()
    stored = " ".join(map(str, rows))
    assert "sk-live-0123456789" not in stored
    assert "encrypted" in stored
    assert "sk-live-0123456789" not in caplog.text

    async with platform.force_session(force_a) as session:
        config = cast(
            "_ListenerConfig",
            (await enabled_plugins(session, platform.plugins, platform.secret_box, force_a))[
                "listener"
            ],
        )
    assert config.api_key.reveal() == "sk-live-0123456789"
    assert "sk-live" not in repr(config)


async def test_a_secret_may_be_a_reference_to_the_environment(
    listener_platform: tuple[Platform, _ListenerModule], monkeypatch: pytest.MonkeyPatch
) -> None:
    platform, _ = listener_platform
    force_a, _ = await _two_forces(platform)
    monkeypatch.setenv("EXHIBIT_FORCE_FORCE_A_LISTENER_KEY", "from-the-environment")
    row = await _configure_listener(
        platform,
        force_a,
        {"threshold": 1, "api_key": {"env": "EXHIBIT_FORCE_FORCE_A_LISTENER_KEY"}},
    )
    assert row.config["api_key"] == {"env": "EXHIBIT_FORCE_FORCE_A_LISTENER_KEY"}
    async with platform.force_session(force_a) as session:
        config = cast(
            "_ListenerConfig",
            (await enabled_plugins(session, platform.plugins, platform.secret_box, force_a))[
                "listener"
            ],
        )
    assert config.api_key.reveal() == "from-the-environment"


@pytest.mark.parametrize(
    "name", ["EXHIBIT_SECRET_KEY", "EXHIBIT_DATABASE_URL", "EXHIBIT_FORCE_FORCE_B_API_KEY"]
)
async def test_a_force_may_not_reference_the_deployments_or_another_forces_variables(
    listener_platform: tuple[Platform, _ListenerModule], name: str
) -> None:
    """Force admins write settings; the environment holds every force's secrets and ours."""
    platform, _ = listener_platform
    force_a, _ = await _two_forces(platform)
    with pytest.raises(InvalidPluginConfig, match="must start with EXHIBIT_FORCE_FORCE_A_"):
        await _configure_listener(platform, force_a, {"threshold": 1, "api_key": {"env": name}})
    async with platform.force_session(force_a) as session:
        assert (await session.scalars(select(ForcePlugin))).all() == []


FAILING = """
from exhibit.plugins import hookimpl

@hookimpl
async def exhibit_audit_event_written(force, event):
    raise ConnectionError("SIEM unreachable")

@hookimpl
async def exhibit_validate_upload(upload):
    raise ConnectionError("scanner unreachable")
"""


async def test_a_failing_plugin_is_recorded_and_the_change_stands(
    settings: Settings, tmp_path: Path
) -> None:
    with installed_plugin(tmp_path / "site", "flaky", FAILING):
        platform = Platform(settings, load_plugins())
        try:
            force_a, _ = await _two_forces(platform)
            async with force_transaction(platform, force_a) as tx:
                await configure_plugin(
                    tx.session,
                    platform.plugins,
                    platform.secret_box,
                    force_a,
                    "flaky",
                    enabled=True,
                    config=None,
                    actor="test",
                )
            async with platform.force_session(force_a) as session:
                failures = (await session.scalars(select(PluginFailure))).all()
                assert [(f.plugin_id, f.hook) for f in failures] == [
                    ("flaky", "exhibit_audit_event_written")
                ]
                assert "SIEM unreachable" in failures[0].error
                assert (await session.scalars(select(ForcePlugin))).one().enabled

            refusals = await events.refusals(
                platform.plugins,
                "exhibit_validate_upload",
                ForceInfo(force_a, "force-a", "Force A"),
                {"flaky": None},
                upload=None,
            )
            assert [r.plugin_id for r in refusals] == ["flaky"]  # fails closed
        finally:
            await platform.close()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "from exhibit.plugins import hookimpl\n"
            "@hookimpl\nasync def exhibit_evidence_recieved(force, item): pass\n",
            "plugin 'broken' implements unknown hook 'exhibit_evidence_recieved' "
            "(did you mean 'exhibit_evidence_received'?)",
        ),
        (
            "from exhibit.plugins import hookimpl\n"
            "@hookimpl\nasync def exhibit_evidence_received(force, item, colour): pass\n",
            "plugin 'broken' is invalid",
        ),
        (
            "from exhibit.plugins import hookimpl\n"
            "@hookimpl\nasync def exhibit_evidence_received(force, item=None): pass\n",
            "plugin 'broken': exhibit_evidence_received gives a default to item; hooks never "
            "pass arguments with defaults, so remove the default",
        ),
        (
            "from exhibit.plugins import hookimpl\n"
            "@hookimpl\ndef exhibit_evidence_received(force, item): pass\n",
            "plugin 'broken': exhibit_evidence_received must be declared `async def`",
        ),
        (
            "import msgspec\nfrom exhibit.plugins import hookimpl\n"
            "class Config(msgspec.Struct):\n    x: int\n"
            "@hookimpl\ndef exhibit_plugin_config(): return Config\n",
            "plugin 'broken': Config must be declared with forbid_unknown_fields=True",
        ),
        (
            "from exhibit.plugins import hookimpl\n"
            "class Disk:\n    key = 'local'\n"
            "    def begin(self): ...\n    def append(self): ...\n    def complete(self): ...\n"
            "    def read(self): ...\n    def delete(self): ...\n"
            "@hookimpl\ndef exhibit_storage_backends(): return [Disk]\n",
            "storage backend 'local' is offered by both plugin 'local_storage' and plugin 'broken'",
        ),
        (
            "from exhibit.plugins import hookimpl\n"
            "@hookimpl\ndef exhibit_check_settings(config): return []\n",
            "plugin 'broken': exhibit_check_settings must be declared `async def`",
        ),
        (
            "from datetime import timedelta\nfrom exhibit.plugins import hookimpl\n"
            "@hookimpl\ndef exhibit_periodic_jobs(): return {'core.sweep': timedelta(hours=1)}\n",
            "plugin 'broken': periodic job 'core.sweep' is not one of its job handlers",
        ),
        (
            "from datetime import timedelta\nfrom exhibit.plugins import hookimpl\n"
            "async def sweep(job): pass\n"
            "@hookimpl\ndef exhibit_job_handlers(): return {'broken.sweep': sweep}\n"
            "@hookimpl\ndef exhibit_periodic_jobs(): return {'broken.sweep': 5}\n",
            "plugin 'broken': periodic job 'broken.sweep' needs a timedelta of at least a minute",
        ),
        ("raise ImportError('missing native library')\n", "plugin 'broken' failed to import"),
    ],
)
def test_a_broken_plugin_stops_start_up_with_a_message_naming_it(
    tmp_path: Path, source: str, message: str
) -> None:
    with installed_plugin(tmp_path / "site", "broken", source), pytest.raises(PluginError) as err:
        load_plugins()
    assert message in str(err.value)
