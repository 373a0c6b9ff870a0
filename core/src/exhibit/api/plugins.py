"""The plugins installed, and the ones the caller's force has enabled and how."""

from typing import Any

import msgspec
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.forces.models import ForcePlugin
from exhibit.forces.plugin_checks import NotCheckable, check_plugin
from exhibit.forces.plugin_settings import (
    UnknownPlugin,
    configure_plugin,
    set_plugin_enabled,
    unset_secret_variables,
)
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig


class InstalledPluginOut(msgspec.Struct):
    """A plugin installed in this deployment."""

    id: str
    summary: str
    """What it does, in a few words (from its package's description; may be empty)."""
    distribution: str
    version: str
    builtin: bool
    configurable: bool


class ForcePluginOut(msgspec.Struct):
    """A plugin's settings for the caller's force; secrets show only how they are held.

    ``warnings`` (after saving) names what the plugin cannot use yet: a secret read from an
    environment variable the server does not have.
    """

    plugin_id: str
    enabled: bool
    config: dict[str, Any]
    warnings: list[str] = msgspec.field(default_factory=list)


class ForcePluginIn(msgspec.Struct, forbid_unknown_fields=True):
    """Enable or disable a plugin, with a new configuration or keeping the stored one.

    Leave ``config`` out to keep what is stored: disabling then needs no valid settings, and
    enabling checks the stored ones. A secret field is given as ``{"value": "..."}`` (stored
    encrypted) or ``{"env": "VARIABLE"}``; an unchanged stored form may be sent back as it
    was read.
    """

    enabled: bool
    config: dict[str, Any] | None = None


class PluginCheckOut(msgspec.Struct):
    """What a check of the force's stored settings found: ``problems`` is empty when none."""

    plugin_id: str
    problems: list[str]


def _redacted(config: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"encrypted": "********"}
        if isinstance(value, dict) and "encrypted" in value
        else value
        for key, value in config.items()
    }


class PluginsController(Controller):
    """``/api/v1/plugins``: installed plugins and the force's plugin settings."""

    path = "/plugins"
    tags = ["plugins"]

    @get("/", opt={"permission": Permission.VIEW_CASES})
    async def list_installed(
        self, platform: NamedDependency[Platform], user: NamedDependency[User]
    ) -> list[InstalledPluginOut]:
        """Every installed plugin with what it does, its distribution and version."""
        return [
            InstalledPluginOut(
                id=p.id,
                summary=p.summary,
                distribution=p.distribution,
                version=p.version,
                builtin=p.builtin,
                configurable=p.id in platform.plugins.config_types,
            )
            for p in platform.plugins.installed.values()
        ]

    @get("/force", opt={"permission": Permission.ADMINISTER_FORCE})
    async def list_force_settings(
        self, platform: NamedDependency[Platform], user: NamedDependency[User]
    ) -> list[ForcePluginOut]:
        """The plugins the caller's force has configured, enabled or not."""
        async with platform.force_session(user.force_id) as session:
            rows = (
                await session.scalars(select(ForcePlugin).order_by(ForcePlugin.plugin_id))
            ).all()
        return [ForcePluginOut(r.plugin_id, r.enabled, _redacted(r.config)) for r in rows]

    @put("/force/{plugin_id:str}", opt={"permission": Permission.ADMINISTER_FORCE})
    async def configure(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        plugin_id: FromPath[str],
        data: JSONBody[ForcePluginIn],
    ) -> ForcePluginOut:
        """Enable or disable a plugin for the caller's force, audited (``ForcePluginIn``)."""
        try:
            async with force_transaction(platform, user.force_id) as tx:
                settings = (tx.session, platform.plugins, platform.secret_box, user.force_id)
                actor = f"user:{user.id}"
                if data.config is None:
                    row = await set_plugin_enabled(
                        *settings, plugin_id, enabled=data.enabled, actor=actor
                    )
                else:
                    row = await configure_plugin(
                        *settings, plugin_id, enabled=data.enabled, config=data.config, actor=actor
                    )
                unset = unset_secret_variables(
                    platform.plugins, platform.secret_box, row, tx.force.slug
                )
        except UnknownPlugin as exc:
            raise NotFoundException(str(exc)) from None
        except InvalidPluginConfig as exc:
            raise ValidationException(str(exc)) from None
        warnings = [
            f"the environment variable {name} is not set on the server: "
            f"{plugin_id} cannot read that secret until it is"
            for name in unset
        ]
        return ForcePluginOut(row.plugin_id, row.enabled, _redacted(row.config), warnings)

    @post(
        "/force/{plugin_id:str}/check",
        status_code=200,
        opt={"permission": Permission.ADMINISTER_FORCE},
    )
    async def check(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        plugin_id: FromPath[str],
    ) -> PluginCheckOut:
        """Try the force's stored settings of a plugin against its service (enabled or not).

        200 with the problems found (none: the settings work); 404 for a plugin that is not
        installed or offers no check.
        """
        try:
            problems = await check_plugin(platform, user.force_id, plugin_id)
        except (UnknownPlugin, NotCheckable) as exc:
            raise NotFoundException(str(exc)) from None
        return PluginCheckOut(plugin_id, problems)
