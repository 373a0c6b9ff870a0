"""``/readyz``: ready only while the database holds the schema this version was built for."""

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from exhibit.platform import Platform
from exhibit.web.health import SCHEMA_NOT_CURRENT


async def _recorded(platform: Platform) -> list[str]:
    async with platform.engine.connect() as connection:
        return list(await connection.scalars(text("SELECT version_num FROM alembic_version")))


async def _record(platform: Platform, revisions: list[str]) -> None:
    async with platform.engine.begin() as connection:
        await connection.execute(text("DELETE FROM alembic_version"))
        for revision in revisions:
            await connection.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision}
            )


async def test_ready_while_the_schema_is_current_and_not_otherwise(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
    migrated = await _recorded(platform)

    # A database restored from before the last migration, under the running process.
    await _record(platform, [])
    behind = await client.get("/readyz")
    assert (behind.status_code, behind.json()) == (503, {"status": SCHEMA_NOT_CURRENT})
    assert (await client.get("/healthz")).status_code == 200  # up, but not to be sent work

    # A database migrated by a newer version, whose revision this one does not know.
    await _record(platform, ["f" * 12])
    assert (await client.get("/readyz")).status_code == 503

    await _record(platform, migrated)
    assert (await client.get("/readyz")).status_code == 200
