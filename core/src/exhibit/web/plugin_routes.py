"""Mounting each installed plugin's routes under ``/plugins/<id>/``, guarded per force.

Routes are fixed at start-up, so every installed plugin's routes are mounted; the guard
answers 404 for a force that has not enabled the plugin, as if the route did not exist.
"""

from typing import Any

from litestar import Router
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard
from sqlalchemy import select

from exhibit.forces.models import Force, ForcePlugin
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.web.auth import user_from_headers

Connection = ASGIConnection[Any, Any, Any, Any]


def plugin_routers(plugins: Plugins) -> list[Router]:
    """One router per plugin that contributed routes."""
    return [
        Router(
            path=f"/plugins/{plugin_id}",
            route_handlers=handlers,
            guards=[enabled_for_force(plugin_id)],
            tags=[f"plugin: {plugin_id}"],
        )
        for plugin_id, handlers in plugins.web_routes.items()
    ]


def enabled_for_force(plugin_id: str) -> Guard:
    """A guard that answers 404 unless the requesting force has enabled ``plugin_id``.

    The force comes from a ``force_slug`` path parameter or else from the API token's user.
    """

    async def guard(connection: Connection, _handler: BaseRouteHandler) -> None:
        platform: Platform = connection.app.state.platform
        force_id = await _requesting_force(connection, platform)
        if force_id is None or not await _is_enabled(platform, force_id, plugin_id):
            raise NotFoundException()

    return guard


async def _requesting_force(connection: Connection, platform: Platform) -> int | None:
    slug = connection.path_params.get("force_slug")
    if isinstance(slug, str):
        if "\x00" in slug:  # names no force, and PostgreSQL refuses it in a query
            return None
        async with platform.system_session() as session:
            force_id: int | None = await session.scalar(select(Force.id).where(Force.slug == slug))
            return force_id
    try:
        user = await user_from_headers(connection, platform)
    except NotAuthorizedException:
        return None
    return user.force_id


async def _is_enabled(platform: Platform, force_id: int, plugin_id: str) -> bool:
    async with platform.force_session(force_id) as session:
        enabled = await session.scalar(
            select(ForcePlugin.enabled).where(ForcePlugin.plugin_id == plugin_id)
        )
    return bool(enabled)
