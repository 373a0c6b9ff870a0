"""Checks made before a process serves or works: schema up to date, configurations valid."""

import logging

from sqlalchemy import select

from exhibit.db.revisions import (
    applied_revisions,
    unapplied_heads,
    unknown_revisions,
    version_dirs,
)
from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import UnknownPlugin, enabled_plugins
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig
from exhibit.secrets import KEY_FILE_NAME
from exhibit.settings import Settings

log = logging.getLogger(__name__)


class NotReady(RuntimeError):
    """The process must not start; the message tells the operator what to do."""


async def check_before_start(platform: Platform) -> None:
    """What ``exhibit serve`` and ``exhibit worker`` check before they start.

    Warns about a host-local secret key on PostgreSQL, then ``check_ready``.
    """
    warn_about_local_secret_key(platform.settings)
    await check_ready(platform)


def warn_about_local_secret_key(settings: Settings) -> None:
    """Warn (never showing the key) when PostgreSQL is used with the key file of this host.

    Every host that shares the database must decrypt the same secrets, and a key file made
    on first use differs from host to host.
    """
    if settings.is_sqlite or settings.secret_key:
        return
    log.warning(
        "EXHIBIT_SECRET_KEY is not set: secrets are encrypted with the key in %s, made on "
        "this host. Every host sharing this PostgreSQL database needs the same key: set "
        "EXHIBIT_SECRET_KEY to one value (`exhibit secret-key` makes one) on each host.",
        settings.data_dir / KEY_FILE_NAME,
    )


async def check_schema(platform: Platform) -> None:
    """Raise ``NotReady`` when the database has no Exhibit schema, an older one, or one a
    newer version (or a plugin not installed here) migrated."""
    applied = await applied_revisions(platform.engine)
    if not applied:
        raise NotReady("the database has no Exhibit schema yet: run `exhibit migrate`")
    folders = version_dirs(platform.plugins)
    if not unapplied_heads(folders, applied):
        return
    if unknown := unknown_revisions(folders, applied):
        raise NotReady(
            f"the database holds schema revisions this version of Exhibit does not know "
            f"({', '.join(sorted(unknown))}): it was migrated by a newer version, or with a "
            "plugin not installed here. Run that version (or install the plugin); "
            "`exhibit migrate` cannot take a database back"
        )
    raise NotReady("the database schema is not up to date: run `exhibit migrate` first")


async def check_ready(platform: Platform) -> None:
    """Refuse to start on an old schema or on a force configuration that no longer fits."""
    await check_schema(platform)
    async with platform.system_session() as session:
        forces = (await session.execute(select(Force.id, Force.slug))).all()
    for force_id, slug in forces:
        async with platform.force_session(force_id) as session:
            try:
                await enabled_plugins(session, platform.plugins, platform.secret_box, force_id)
            except (UnknownPlugin, InvalidPluginConfig) as exc:
                raise NotReady(f"force {slug!r}: {exc}") from None
