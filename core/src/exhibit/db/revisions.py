"""Which schema revisions a database still lacks, found without loading Alembic.

Every app and worker process checks the schema when it starts. Alembic's script directory
brings Mako and Pygments with it (about 10 MiB in every process) only to list revisions,
and the revision graph is plain in each migration file: its ``revision`` and
``down_revision`` (and ``depends_on``) assignments, read here with ``ast``. A head is a
revision that no other revision builds on; tests compare the answer with Alembic's own.
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
    """The revisions in ``folders`` that no other revision builds on (``down_revision``)."""
    graph = _graph(folders)
    built_on = {down for downs, _ in graph.values() for down in downs}
    return set(graph) - built_on


def unapplied_heads(folders: Iterable[Path], applied: Iterable[str]) -> set[str]:
    """The heads in ``folders`` that ``applied`` (what ``alembic_version`` holds) lacks.

    Alembic records only the newest revision of each line: a head that another applied
    revision builds on or depends on (a plugin's first revision ``depends_on`` a core one) is
    applied too, though the table no longer names it.
    """
    graph = _graph(folders)
    reached: set[str] = set()
    waiting = list(applied)
    while waiting:
        revision = waiting.pop()
        if revision not in reached:
            reached.add(revision)
            downs, depends = graph.get(revision, ([], []))
            waiting += [*downs, *depends]
    return head_revisions(folders) - reached


def unknown_revisions(folders: Iterable[Path], applied: Iterable[str]) -> set[str]:
    """The revisions in ``applied`` that no file in ``folders`` holds: the database was
    migrated by a newer version, or with a plugin this installation lacks."""
    return set(applied) - set(_graph(folders))


def _graph(folders: Iterable[Path]) -> dict[str, tuple[list[str], list[str]]]:
    """Each revision in ``folders`` with the revisions it revises and those it depends on."""
    graph: dict[str, tuple[list[str], list[str]]] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.py")):
            found = _graph_entry(path)
            if found is not None:
                graph[found[0]] = (found[1], found[2])
    return graph


def _graph_entry(path: Path) -> tuple[str, list[str], list[str]] | None:
    """A migration file's revision, the revisions it revises and those it depends on (None
    if it is not one)."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in {
            "revision",
            "down_revision",
            "depends_on",
        }:
            values[target.id] = ast.literal_eval(value)
    revision = values.get("revision")
    if not isinstance(revision, str):
        return None
    return revision, _names(values.get("down_revision")), _names(values.get("depends_on"))


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list):
        return [str(entry) for entry in value]
    return []


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
    return unapplied_heads(version_dirs(plugins), await applied_revisions(engine))
