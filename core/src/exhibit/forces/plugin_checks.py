"""Trying a force's plugin settings against the services they name (``exhibit_check_settings``).

Saving settings checks their form only; a check tells an administrator whether they work
(the bucket exists, the relay takes the login). It runs the plugin's hook on the force's
stored settings, enabled or not, and turns every way it can go wrong into a problem in
words: settings that no longer load, a secret's environment variable this process lacks, a
check that raised or did not finish in time.
"""

import asyncio
import logging
import threading

import msgspec
from sqlalchemy import select

from exhibit.forces.models import Force, ForcePlugin
from exhibit.forces.plugin_settings import UnknownPlugin
from exhibit.forces.transaction import force_info
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig, load_config, unset_variables
from exhibit.plugins.context import ForceInfo
from exhibit.plugins.manager import Plugins, load_plugins
from exhibit.settings import Settings

log = logging.getLogger(__name__)

CHECK_HOOK = "exhibit_check_settings"
CHECK_TIMEOUT = 30.0
"""Seconds a plugin's check may take before it is reported as not answering."""


class NotCheckable(LookupError):
    """The plugin offers no check (it does not implement ``exhibit_check_settings``)."""


def checkable(plugins: Plugins, plugin_id: str) -> bool:
    """Whether the installed plugin ``plugin_id`` offers a check of its settings."""
    return plugin_id in plugins.installed and plugins.implements(plugin_id, CHECK_HOOK)


async def check_plugin(platform: Platform, force_id: int, plugin_id: str) -> list[str]:
    """What is wrong with the force's stored settings for ``plugin_id`` (empty: nothing).

    Raises ``UnknownPlugin`` when it is not installed and ``NotCheckable`` when it offers
    no check.
    """
    if plugin_id not in platform.plugins.installed:
        raise UnknownPlugin(f"no installed plugin {plugin_id!r}")
    if not checkable(platform.plugins, plugin_id):
        raise NotCheckable(f"plugin {plugin_id!r} offers no check of its settings")
    async with platform.force_session(force_id) as session:
        force = await force_info(session, force_id)
        stored = await session.scalar(
            select(ForcePlugin.config).where(
                ForcePlugin.force_id == force_id, ForcePlugin.plugin_id == plugin_id
            )
        )
    config_type = platform.plugins.config_types.get(plugin_id)
    config: msgspec.Struct | None = None
    if config_type is not None:
        if stored is None:
            return ["no settings are saved for it yet"]
        try:
            config = load_config(
                plugin_id, config_type, stored, platform.secret_box, force_slug=force.slug
            )
        except InvalidPluginConfig as exc:
            return [f"its saved settings no longer fit: {str(exc).split(': ', 1)[-1]}"]
        unset = unset_variables(config)
        if unset:
            return [
                f"the environment variable {name} is not set on this server: ask the operator "
                "to set it"
                for name in unset
            ]
    return await _run(platform.plugins, force, plugin_id, config)


async def check_enabled_plugins(platform: Platform, force_id: int) -> dict[str, list[str]]:
    """Check every plugin the force has enabled that offers a check, at once; by plugin id."""
    async with platform.force_session(force_id) as session:
        enabled = (
            await session.scalars(
                select(ForcePlugin.plugin_id).where(
                    ForcePlugin.force_id == force_id, ForcePlugin.enabled
                )
            )
        ).all()
    ids = sorted(p for p in enabled if checkable(platform.plugins, p))
    found = await asyncio.gather(*(check_plugin(platform, force_id, p) for p in ids))
    return dict(zip(ids, found, strict=True))


async def _run(
    plugins: Plugins, force: ForceInfo, plugin_id: str, config: msgspec.Struct | None
) -> list[str]:
    caller = plugins.caller(CHECK_HOOK, plugin_id)
    try:
        (awaitable,) = caller(force=force, config=config)
        found = await asyncio.wait_for(awaitable, CHECK_TIMEOUT)
    except TimeoutError:
        return [
            f"the check did not finish within {CHECK_TIMEOUT:.0f} seconds: the service may be "
            "unreachable from this server"
        ]
    except Exception as exc:
        # The type only: an exception's text may quote a setting or a service's answer.
        log.warning("plugin %s: its check for force %s raised %r", plugin_id, force.slug, exc)
        return [f"the check itself failed ({type(exc).__name__}); the server's log has more"]
    return [str(problem) for problem in found or ()]


def check_in_background(settings: Settings) -> threading.Thread:
    """Check every force's enabled plugins beside start-up, logging each problem as a warning.

    ``exhibit serve`` and ``exhibit worker`` call this as they start: a daemon thread with
    its own event loop and database engine, so a slow service neither delays the start nor
    keeps the process from stopping.
    """

    def run() -> None:
        try:
            asyncio.run(_check_all(settings))
        except Exception as exc:
            log.warning("the plugin settings checks could not run: %s", type(exc).__name__)

    thread = threading.Thread(target=run, name="exhibit-plugin-checks", daemon=True)
    thread.start()
    return thread


async def _check_all(settings: Settings) -> None:
    platform = Platform(settings, load_plugins())
    try:
        async with platform.system_session() as session:
            forces = (await session.execute(select(Force.id, Force.slug))).all()
        for force_id, slug in forces:
            for plugin_id, problems in (await check_enabled_plugins(platform, force_id)).items():
                for problem in problems:
                    log.warning("force %s, plugin %s: %s", slug, plugin_id, problem)
                if not problems:
                    log.info("force %s, plugin %s: settings checked, no problem", slug, plugin_id)
    finally:
        await platform.close()
