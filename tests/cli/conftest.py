"""Fixtures of the command-line tests: databases the way an operator may meet them."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from exhibit.secrets import SecretBox
from exhibit.settings import Settings
from tests.fixtures.databases import (
    PostgresUnavailable,
    admin_execute,
    postgres_url,
    require_postgres,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def empty_settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings over an empty database: no tables at all."""
    if request.param == "sqlite":
        yield Settings(
            data_dir=tmp_path,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}",
            secret_key=SecretBox.generate_key(),
        )
        return
    name = f"exhibit_empty_{uuid.uuid4().hex[:10]}"
    try:
        await admin_execute(f'CREATE DATABASE "{name}"')
    except PostgresUnavailable as exc:
        require_postgres(str(exc))
    yield Settings(
        data_dir=tmp_path, database_url=postgres_url(name), secret_key=SecretBox.generate_key()
    )
    await admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
