"""Which schema revisions a database still lacks, found without loading Alembic.

Every app and worker process checks the schema when it starts. Alembic's script directory
brings Mako and Pygments with it (about 10 MiB in every process) only to list revisions,
and the revision graph is plain in each migration file: its ``revision`` and
``down_revision`` assignments, read here with ``ast``. A head is a revision that no other
revision builds on; tests compare the answer with Alembic's own.
"""

import ast
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from exhibit.plugins.manager import Plugins

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def version_dirs(plugins: Plugins) -> list[Path]:
    """The folders holding revisions: the core's and every installed plugin's."""
    return [MIGRATIONS_DIR / "versions", *plugins.migration_dirs.values()]


def head_revisions(folders: Iterable[Path]) -> set[str]:
    """The revisions in ``folders`` that no other revision builds on."""
    revisions: set[str] = set()
    built_on: set[str] = set()
    for folder in folders:
        for path in sorted(folder.glob("*.py")):
            found = _graph_entry(path)
            if found is not None:
                revisions.add(found[0])
                built_on.update(found[1])
    return revisions - built_on


def _graph_entry(path: Path) -> tuple[str, list[str]] | None:
    """A migration file's revision and the revisions it revises (None if it is not one)."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in {"revision", "down_revision"}:
            values[target.id] = ast.literal_eval(value)
    revision, down = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str):
        return None
    if isinstance(down, str):
        return revision, [down]
    if isinstance(down, tuple | list):
        return revision, [str(entry) for entry in down]
    return revision, []


async def applied_revisions(engine: AsyncEngine) -> set[str]:
    """The revisions the database records as applied (empty when it has no schema yet)."""
    async with engine.connect() as connection:
        tables = await connection.run_sync(
            lambda sync: sync.dialect.has_table(sync, "alembic_version")
        )
        if not tables:
            return set()
        result = await connection.execute(text("SELECT version_num FROM alembic_version"))
        return set(result.scalars())


async def pending_heads(engine: AsyncEngine, plugins: Plugins) -> set[str]:
    """The head revisions not yet applied to the database (empty when up to date)."""
    return head_revisions(version_dirs(plugins)) - await applied_revisions(engine)
