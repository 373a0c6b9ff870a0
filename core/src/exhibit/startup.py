"""Checks made before a process serves or works: schema up to date, configurations valid."""

from sqlalchemy import select

from exhibit.db.revisions import pending_heads
from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import UnknownPlugin, enabled_plugins
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig


class NotReady(RuntimeError):
    """The process must not start; the message tells the operator what to do."""


async def check_ready(platform: Platform) -> None:
    """Refuse to start on an old schema or on a force configuration that no longer fits."""
    if await pending_heads(platform.engine, platform.plugins):
        raise NotReady("the database schema is not up to date: run `exhibit migrate` first")
    async with platform.system_session() as session:
        forces = (await session.execute(select(Force.id, Force.slug))).all()
    for force_id, slug in forces:
        async with platform.force_session(force_id) as session:
            try:
                await enabled_plugins(session, platform.plugins, platform.secret_box, force_id)
            except (UnknownPlugin, InvalidPluginConfig) as exc:
                raise NotReady(f"force {slug!r}: {exc}") from None
