"""Fixtures every test can use: databases on both engines, a platform, an app client."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from exhibit.accounts import passwords
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_builtin_plugins, load_plugins
from exhibit.secrets import SecretBox
from exhibit.settings import Settings
from tests.fixtures.databases import DatabaseTemplates

# Fixtures shared by several test folders.
pytest_plugins = ["tests.fixtures.browser"]


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Passwords hashed in the test process cost ~1 ms instead of argon2id's ~125 ms.

    The tests make users and sign in thousands of times, and what a hash costs is set by its
    parameters, which no test here depends on. Processes the tests start (``exhibit serve``
    and others) hash as production does, and test_sign_in checks those parameters.
    """
    real = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = real


@pytest.fixture(scope="session")
def builtin_plugins() -> Plugins:
    """Only the core's built-in plugins (local storage, outbox)."""
    return load_builtin_plugins()


@pytest.fixture(scope="session")
async def database_templates(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[DatabaseTemplates]:
    """Template databases migrated for the session: the core and every installed plugin's
    branch, as ``exhibit migrate`` leaves them (an app built with any of the plugins, or
    ``exhibit serve`` in a subprocess, finds its schema up to date)."""
    templates = DatabaseTemplates(tmp_path_factory.mktemp("db-templates"), load_plugins())
    yield templates
    await templates.drop_all()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(
    request: pytest.FixtureRequest, database_templates: DatabaseTemplates, tmp_path: Path
) -> AsyncIterator[str]:
    """A fresh, migrated database for one test: each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield await database_templates.sqlite_copy(tmp_path / "db")
        return
    url = await database_templates.postgres_copy()
    yield url
    await database_templates.drop(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test's database and a private data folder."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key=SecretBox.generate_key(),
        run_worker_in_app=False,
    )


@pytest.fixture
async def platform(settings: Settings, builtin_plugins: Plugins) -> AsyncIterator[Platform]:
    """A platform with the built-in plugins over the test's database."""
    platform = Platform(settings, builtin_plugins)
    yield platform
    await platform.close()
