"""An app client for the operator's endpoints, with and without a metrics token."""

from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from exhibit.settings import Settings
from exhibit.web.app import create_app

METRICS_TOKEN = "m" * 24 + "-operator-secret-0123456789"


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app with ``METRICS_TOKEN`` as its metrics token."""
    app = create_app(msgspec.structs.replace(settings, metrics_token=METRICS_TOKEN))
    async with AsyncTestClient(app=app) as client:
        yield client
