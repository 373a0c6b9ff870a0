"""``exhibit_check_settings`` as a third-party plugin meets it: what the core passes to the
check, and how every way a check can go wrong reaches the administrator in words."""

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol, cast

import pytest

from exhibit.forces.plugin_checks import NotCheckable, check_enabled_plugins, check_plugin
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.settings import Settings
from tests.fixtures.third_party import installed_plugin

RELAY = """
import asyncio
import msgspec
from exhibit.plugins import Secret, hookimpl

checked = []

class Config(msgspec.Struct, forbid_unknown_fields=True):
    host: str
    password: Secret | None = None

@hookimpl
def exhibit_plugin_config():
    return Config

@hookimpl
async def exhibit_check_settings(force, config):
    checked.append((force.slug, config.host))
    if config.host == "broken":
        raise RuntimeError("login refused for password hunter2")
    if config.host == "slow":
        await asyncio.sleep(30)
    if config.host != "relay.kent.test":
        return [f"no relay answers at {config.host}"]
    return []
"""

QUIET = """
from exhibit.plugins import hookimpl

@hookimpl
async def exhibit_evidence_received(force, item):
    pass
"""


class _Relay(Protocol):
    checked: list[tuple[str, str]]


@pytest.fixture
async def relay(settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[Platform, _Relay, int]]:
    """A platform with the ``relay`` and ``quiet`` plugins installed, and force kent."""
    with (
        installed_plugin(tmp_path / "site", "relay", RELAY) as module_name,
        installed_plugin(tmp_path / "site2", "quiet", QUIET),
    ):
        platform = Platform(settings, load_plugins())
        async with platform.system_session() as session:
            force = await create_force(session, slug="kent", name="Kent Police", actor="test")
            await session.commit()
        try:
            yield platform, cast("_Relay", sys.modules[module_name]), force.id
        finally:
            await platform.close()


async def _save(platform: Platform, force_id: int, config: dict[str, Any], enabled: bool) -> None:
    async with force_transaction(platform, force_id) as tx:
        await configure_plugin(
            tx.session,
            platform.plugins,
            platform.secret_box,
            force_id,
            "relay",
            enabled=enabled,
            config=config,
            actor="test",
        )


async def test_the_check_gets_the_stored_settings_and_its_problems_come_back(
    relay: tuple[Platform, _Relay, int],
) -> None:
    platform, module, force_id = relay
    assert await check_plugin(platform, force_id, "relay") == ["no settings are saved for it yet"]
    assert module.checked == []

    await _save(platform, force_id, {"host": "relay.kent.test"}, enabled=False)
    assert await check_plugin(platform, force_id, "relay") == []  # disabled, still checked
    assert await check_enabled_plugins(platform, force_id) == {}  # but not as an enabled one

    await _save(platform, force_id, {"host": "mail.nowhere.test"}, enabled=True)
    expected = ["no relay answers at mail.nowhere.test"]
    assert await check_plugin(platform, force_id, "relay") == expected
    assert await check_enabled_plugins(platform, force_id) == {"relay": expected}
    assert module.checked[0] == ("kent", "relay.kent.test")

    with pytest.raises(NotCheckable):
        await check_plugin(platform, force_id, "quiet")


async def test_a_check_that_raises_is_a_problem_naming_the_type_never_the_text(
    relay: tuple[Platform, _Relay, int],
) -> None:
    platform, _, force_id = relay
    await _save(platform, force_id, {"host": "broken"}, enabled=True)
    (problem,) = await check_plugin(platform, force_id, "relay")
    assert problem == "the check itself failed (RuntimeError); the server's log has more"


async def test_a_check_that_hangs_is_reported_as_not_answering(
    relay: tuple[Platform, _Relay, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    platform, _, force_id = relay
    monkeypatch.setattr("exhibit.forces.plugin_checks.CHECK_TIMEOUT", 0.2)
    await _save(platform, force_id, {"host": "slow"}, enabled=True)
    (problem,) = await check_plugin(platform, force_id, "relay")
    assert problem.startswith("the check did not finish within")
    assert "unreachable from this server" in problem


async def test_a_secret_the_server_cannot_read_is_reported_without_calling_the_check(
    relay: tuple[Platform, _Relay, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    platform, module, force_id = relay
    monkeypatch.delenv("EXHIBIT_FORCE_KENT_RELAY_PASSWORD", raising=False)
    config = {"host": "relay.kent.test", "password": {"env": "EXHIBIT_FORCE_KENT_RELAY_PASSWORD"}}
    await _save(platform, force_id, config, enabled=True)
    assert await check_plugin(platform, force_id, "relay") == [
        "the environment variable EXHIBIT_FORCE_KENT_RELAY_PASSWORD is not set on this server: "
        "ask the operator to set it"
    ]
    assert module.checked == []

    monkeypatch.setenv("EXHIBIT_FORCE_KENT_RELAY_PASSWORD", "s3cret")
    assert await check_plugin(platform, force_id, "relay") == []
