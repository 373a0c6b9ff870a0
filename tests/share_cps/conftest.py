"""A platform and an app with the share_cps plugin installed, over the test's database."""

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.share_cps.world import cps_plugins


@pytest.fixture
async def cps_platform(settings: Settings) -> AsyncIterator[Platform]:
    """The platform tests set the world up with (share_cps installed)."""
    platform = Platform(settings, cps_plugins())
    yield platform
    await platform.close()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of the app under test, with its own platform."""
    async with AsyncTestClient(app=create_app(settings, cps_plugins())) as client:
        yield client
