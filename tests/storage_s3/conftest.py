"""S3 for the storage_s3 tests: moto's server mode over HTTP on a free loopback port.

One server runs for the session; each test gets fresh buckets, so tests never see each
other's objects. ``s3_scene`` sets up a force that keeps its evidence in S3 through the
real app: the force enables storage_s3 with its settings, and the core hands the store
those settings (``Platform.force_storage``).
"""

import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import update

import exhibit_storage_s3
from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.platform import Platform
from exhibit.plugins.config import load_config
from exhibit.plugins.context import ForceInfo, ProviderContext
from exhibit.plugins.manager import Plugins, load_builtin_plugins
from exhibit.secrets import Secret, SecretBox
from exhibit.settings import Settings
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config
from tests.fixtures.witness import Scene, make_scene

ACCESS_KEY = "testing"
SECRET_KEY = "testing-secret"


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server on loopback, for the whole session."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    """A plain boto3 client for the moto server (to set up and to look behind the store)."""
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh bucket without Object Lock."""
    name = f"plain-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def locked_bucket(s3: Any) -> str:
    """A fresh bucket with Object Lock enabled (and so versioning), no default retention."""
    name = f"locked-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


@pytest.fixture
def secret_box() -> SecretBox:
    """A key to encrypt secrets with, as a deployment has."""
    return SecretBox(SecretBox.generate_key())


@pytest.fixture
def make_config(s3_endpoint: str, secret_box: SecretBox) -> Callable[..., Config]:
    """Settings for a bucket on the moto server; keyword arguments override fields."""

    def make(bucket: str, **overrides: Any) -> Config:
        fields: dict[str, Any] = {
            "bucket": bucket,
            "prefix": "force-a/",
            "region": "us-east-1",
            "endpoint_url": s3_endpoint,
            "access_key_id": ACCESS_KEY,
            "secret_access_key": Secret.from_value(SECRET_KEY, secret_box),
            "part_size_mib": 5,
        }
        fields.update(overrides)
        return Config(**fields)

    return make


@pytest.fixture
def make_backend(tmp_path: Path) -> Callable[[Config], S3Storage]:
    """An S3 store for one force over ``config`` (a new instance each call)."""
    settings = Settings(data_dir=tmp_path / "data", database_url="sqlite+aiosqlite:///:memory:")
    force = ForceInfo(id=1, slug="force-a", name="Force A")

    def make(config: Config) -> S3Storage:
        return S3Storage(ProviderContext(settings, force, "storage_s3", config))

    return make


@pytest.fixture(scope="session")
def s3_plugins() -> Plugins:
    """The built-ins plus storage_s3."""
    return load_builtin_plugins([("storage_s3", exhibit_storage_s3)])


@pytest.fixture
async def s3_scene(
    settings: Settings,
    s3_plugins: Plugins,
    s3_endpoint: str,
    bucket: str,
) -> AsyncIterator[tuple[Scene, Config]]:
    """Force ``kent`` storing in ``bucket`` through storage_s3, with a live request."""
    setup = Platform(settings, s3_plugins)
    try:
        scene = await make_scene(setup, "kent")
        raw = {
            "bucket": bucket,
            "prefix": "kent/",
            "endpoint_url": s3_endpoint,
            "region": "us-east-1",
            "access_key_id": ACCESS_KEY,
            "secret_access_key": {"value": SECRET_KEY},
            "part_size_mib": 8,
        }
        async with setup.force_session(scene.force_id) as session:
            await configure_plugin(
                session,
                s3_plugins,
                setup.secret_box,
                scene.force_id,
                "storage_s3",
                enabled=True,
                config=raw,
                actor="test",
            )
            await session.commit()
        async with setup.system_session() as session:
            await session.execute(
                update(Force).where(Force.id == scene.force_id).values(storage_backend="s3")
            )
            await session.commit()
        config = load_config("storage_s3", Config, raw, setup.secret_box, force_slug="kent")
        assert isinstance(config, Config)
        yield scene, config
    finally:
        await setup.close()
