"""Fixtures for the tus server: a live link, the app in memory, the app on a loopback port."""

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.fixtures.tus_client import LiveServer, serving
from tests.fixtures.witness import Scene, make_scene


@pytest.fixture
async def scene(platform: Platform) -> Scene:
    """A live request with its token, in force ``kent``."""
    return await make_scene(platform, "kent")


@pytest.fixture
async def client(
    settings: Settings, builtin_plugins: Plugins
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The real app in memory (its own platform over the test's database)."""
    async with AsyncTestClient(app=create_app(settings, builtin_plugins)) as client:
        yield client


@pytest.fixture
async def live_server(settings: Settings, builtin_plugins: Plugins) -> AsyncIterator[LiveServer]:
    """The app on a loopback port."""
    with serving(settings, builtin_plugins) as server:
        yield server
