"""Which plugins a force has enabled, and with what configuration."""

from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.forces.models import Force, ForcePlugin
from exhibit.plugins.config import (
    InvalidPluginConfig,
    load_config,
    stored_config,
    unset_variables,
)
from exhibit.plugins.context import ForceInfo
from exhibit.plugins.manager import Plugins
from exhibit.secrets import SecretBox


class UnknownPlugin(LookupError):
    """A force's settings name a plugin that is not installed."""


async def enabled_plugins(
    session: AsyncSession, plugins: Plugins, box: SecretBox, force_id: int
) -> dict[str, msgspec.Struct | None]:
    """The plugins a force has enabled, each with its validated configuration (or None).

    Raises ``UnknownPlugin`` for a plugin that is enabled but no longer installed, and
    ``InvalidPluginConfig`` for a stored configuration that no longer fits.
    """
    rows = (
        await session.scalars(
            select(ForcePlugin).where(ForcePlugin.force_id == force_id, ForcePlugin.enabled)
        )
    ).all()
    enabled: dict[str, msgspec.Struct | None] = {}
    slug = await _slug(session, force_id) if rows else ""
    for row in rows:
        if row.plugin_id not in plugins.installed:
            raise UnknownPlugin(
                f"force {force_id} enables plugin {row.plugin_id!r}, which is not installed"
            )
        config_type = plugins.config_types.get(row.plugin_id)
        enabled[row.plugin_id] = (
            load_config(row.plugin_id, config_type, row.config, box, force_slug=slug)
            if config_type
            else None
        )
    return enabled


async def enabled_plugin_config(
    session: AsyncSession, plugins: Plugins, box: SecretBox, force: ForceInfo, plugin_id: str
) -> tuple[bool, msgspec.Struct | None]:
    """Whether ``force`` enables the installed plugin ``plugin_id``, with its configuration.

    One row read, for callers that need a single plugin on every request (the tus server
    builds the force's store for each chunk). ``InvalidPluginConfig`` for a stored
    configuration that no longer fits.
    """
    stored = await session.scalar(
        select(ForcePlugin.config).where(
            ForcePlugin.force_id == force.id,
            ForcePlugin.plugin_id == plugin_id,
            ForcePlugin.enabled,
        )
    )
    if stored is None:
        return False, None
    config_type = plugins.config_types.get(plugin_id)
    if config_type is None:
        return True, None
    return True, load_config(plugin_id, config_type, stored, box, force_slug=force.slug)


async def configure_plugin(
    session: AsyncSession,
    plugins: Plugins,
    box: SecretBox,
    force_id: int,
    plugin_id: str,
    *,
    enabled: bool,
    config: Any,
    actor: str,
) -> ForcePlugin:
    """Enable or disable a plugin for a force and set its configuration, audited.

    The configuration is validated strictly against the plugin's Struct first; secrets are
    encrypted before anything is written. The audit event names the fields that changed,
    never their values. Not committed here.
    """
    _check_configurable(plugins, plugin_id)
    stored = await _validated(session, plugins, box, force_id, plugin_id, config)
    row = await _stored_row(session, force_id, plugin_id)
    return await _save(session, row, force_id, plugin_id, enabled, stored, actor)


async def set_plugin_enabled(
    session: AsyncSession,
    plugins: Plugins,
    box: SecretBox,
    force_id: int,
    plugin_id: str,
    *,
    enabled: bool,
    actor: str,
) -> ForcePlugin:
    """Enable or disable a plugin for a force and keep its stored configuration, audited.

    Enabling checks the stored configuration (an empty one when none is stored) as strictly
    as ``configure_plugin`` checks a new one, so a plugin is never enabled with settings
    that do not fit; disabling needs no valid settings. Not committed here.
    """
    _check_configurable(plugins, plugin_id)
    row = await _stored_row(session, force_id, plugin_id)
    stored: dict[str, Any] = row.config if row is not None else {}
    if enabled:
        await _validated(session, plugins, box, force_id, plugin_id, stored)
    return await _save(session, row, force_id, plugin_id, enabled, stored, actor)


def unset_secret_variables(
    plugins: Plugins, box: SecretBox, row: ForcePlugin, force_slug: str
) -> list[str]:
    """The environment variables the plugin's stored secrets name that this process lacks.

    Such settings are valid (an operator may set the variable later), but the plugin cannot
    read those secrets until then: the admin page and the API say so when they are saved.
    """
    config_type = plugins.config_types.get(row.plugin_id)
    if config_type is None:
        return []
    config = load_config(row.plugin_id, config_type, row.config, box, force_slug=force_slug)
    return unset_variables(config)


def _check_configurable(plugins: Plugins, plugin_id: str) -> None:
    if plugin_id not in plugins.installed or plugin_id in plugins.builtin_ids:
        raise UnknownPlugin(f"no installed plugin {plugin_id!r} can be enabled")


async def _validated(
    session: AsyncSession,
    plugins: Plugins,
    box: SecretBox,
    force_id: int,
    plugin_id: str,
    config: Any,
) -> dict[str, Any]:
    """``config`` checked strictly against the plugin's Struct, in the form it is stored."""
    config_type = plugins.config_types.get(plugin_id)
    if config_type is None:
        if config not in (None, {}):
            raise InvalidPluginConfig(f"plugin {plugin_id!r} takes no configuration")
        return {}
    slug = await _slug(session, force_id)
    return stored_config(load_config(plugin_id, config_type, config or {}, box, force_slug=slug))


async def _stored_row(session: AsyncSession, force_id: int, plugin_id: str) -> ForcePlugin | None:
    row: ForcePlugin | None = await session.scalar(
        select(ForcePlugin).where(
            ForcePlugin.force_id == force_id, ForcePlugin.plugin_id == plugin_id
        )
    )
    return row


async def _save(
    session: AsyncSession,
    row: ForcePlugin | None,
    force_id: int,
    plugin_id: str,
    enabled: bool,
    stored: dict[str, Any],
    actor: str,
) -> ForcePlugin:
    """Write the force's settings for the plugin and audit which fields changed."""
    previous: dict[str, Any] = {}
    if row is None:
        row = ForcePlugin(force_id=force_id, plugin_id=plugin_id, enabled=enabled, config=stored)
        session.add(row)
    else:
        previous = row.config
        row.enabled = enabled
        row.config = stored
    changed = sorted(k for k in set(previous) | set(stored) if previous.get(k) != stored.get(k))
    await audit.record(
        session,
        force_id,
        actor=actor,
        action="plugin.enabled" if enabled else "plugin.disabled",
        object_type="plugin",
        object_id=plugin_id,
        details={"changed_fields": changed},
    )
    return row


async def _slug(session: AsyncSession, force_id: int) -> str:
    slug = await session.scalar(select(Force.slug).where(Force.id == force_id))
    if slug is None:
        raise LookupError(f"no force with id {force_id}")
    return slug
