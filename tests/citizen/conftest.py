"""Fixtures for the citizen pages: the real app in memory, a live link, and ways to change it."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit.uploads.models import EvidenceRequest
from exhibit.web.app import create_app
from tests.fixtures.tus_client import metadata, tus_headers
from tests.fixtures.witness import Scene, make_scene

MESSAGE = "Thank you for calling us. Please send the video of the car you told me about."
PLACE = "Outside 12 High Street, Maidstone"
PRIVACY = "Kent Police keeps what you send for as long as the law requires."
CASE_REFERENCE = "KENT/123/26"  # make_scene's case; it must never reach a witness's page
CASE_TITLE = "Burglary"


@pytest.fixture
async def client(
    settings: Settings, builtin_plugins: Plugins
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The real app in memory, with its own platform over the test's database."""
    async with AsyncTestClient(app=create_app(settings, builtin_plugins)) as client:
        yield client


@pytest.fixture
async def scene(platform: Platform) -> Scene:
    """A live request in force ``kent`` with a message, a place and a time."""
    scene = await make_scene(
        platform,
        "kent",
        message=MESSAGE,
        incident_place=PLACE,
        incident_at=utcnow() - timedelta(days=2),
    )
    await set_force(platform, scene.force_id, privacy_notice=PRIVACY)
    return scene


async def set_force(platform: Platform, force_id: int, **values: Any) -> None:
    """Change columns of a force."""
    async with platform.system_session() as session:
        await session.execute(update(Force).where(Force.id == force_id).values(**values))
        await session.commit()


async def set_request(platform: Platform, request_id: int, **values: Any) -> None:
    """Change columns of a request."""
    async with platform.system_session() as session:
        await session.execute(
            update(EvidenceRequest).where(EvidenceRequest.id == request_id).values(**values)
        )
        await session.commit()


async def send_file(
    client: AsyncTestClient[Litestar],
    token: str,
    data: bytes,
    filename: str,
    *,
    complete: bool = True,
) -> str:
    """Upload ``data`` through the tus endpoint (all of it, or only its first half)."""
    body = data if complete else data[: len(data) // 2]
    response = await client.post(
        "/uploads/",
        headers=tus_headers(
            token,
            Upload_Length=str(len(data)),
            Upload_Metadata=metadata(filename=filename, filetype="image/jpeg", caption="the car"),
            Content_Type="application/offset+octet-stream",
        ),
        content=body,
    )
    assert response.status_code == 201, response.text
    assert response.headers["upload-offset"] == str(len(body))
    return str(response.headers["location"])
