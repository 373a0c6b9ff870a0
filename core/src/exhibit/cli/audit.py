"""``exhibit audit ...``: check a force's audit chain, export it, and check an export offline."""

from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from exhibit.audit.export import chain_lines, check_export
from exhibit.audit.segment import Walk
from exhibit.audit.verify import ChainHead, verify_force_chain
from exhibit.cli.runtime import run_with_platform
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_by_slug
from exhibit.platform import Platform


@click.group()
def audit() -> None:
    """Check the audit log, export it, and check an export offline."""


def _head(noted_head: str | None) -> ChainHead | None:
    try:
        return ChainHead.parse(noted_head) if noted_head is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--head") from None


_HEAD_OPTION = click.option(
    "--head",
    "noted_head",
    default=None,
    metavar="SEQ:HASH",
    help="A head an earlier check printed: it must still be in the chain, unchanged "
    "(finds events cut from the end).",
)


@audit.command("verify")
@click.option("--force", "force_slug", default=None, help="Only this force (default: all).")
@_HEAD_OPTION
def audit_verify(force_slug: str | None, noted_head: str | None) -> None:
    """Verify each force's audit hash chain; name the first broken event.

    Each chain's head (its last event, SEQ:HASH) is printed: note it somewhere the database's
    administrators cannot change, and check it later with --head (which needs --force).
    """
    if noted_head is not None and force_slug is None:
        raise click.UsageError("--head checks one force's chain: give --force too")
    head = _head(noted_head)

    async def work(platform: Platform) -> list[tuple[str, Any]]:
        async with platform.system_session() as session:
            query = select(Force.id, Force.slug).order_by(Force.slug)
            if force_slug:
                query = query.where(Force.slug == force_slug)
            forces = (await session.execute(query)).all()
        if not forces:
            raise LookupError(f"no force {force_slug!r}" if force_slug else "no forces yet")
        reports = []
        for force_id, slug in forces:
            async with platform.force_session(force_id) as session:
                reports.append((slug, await verify_force_chain(session, force_id, head)))
        return reports

    failed = False
    for slug, report in run_with_platform(work):
        if report.ok:
            click.echo(f"{slug}: ok ({report.events} events; head {report.head or 'none'})")
        else:
            failed = True
            click.echo(
                f"{slug}: BROKEN at event {report.broken.seq}: {report.broken.problem}", err=True
            )
    if failed:
        raise SystemExit(1)


@audit.command("export")
@click.option("--force", "force_slug", required=True, help="The force whose chain to export.")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The file to write (JSON lines; an existing file is not overwritten).",
)
def audit_export(force_slug: str, output: Path) -> None:
    """Write the force's whole audit chain, every event in full, for checking offline with
    `exhibit audit check FILE` (or by hand: docs/verifying-evidence.md)."""

    async def work(platform: Platform) -> None:
        async with platform.system_session() as session:
            force_id = (await force_by_slug(session, force_slug)).id
        with output.open("xb") as out:
            async for lines in chain_lines(platform, force_id):
                out.write(lines)

    try:
        run_with_platform(work)
    except FileExistsError:
        raise click.ClickException(f"{output} exists already: choose another file") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    with output.open("rb") as lines:
        found = check_export(lines)
    if found.problem is not None:  # the database's chain is broken: the export shows where
        click.echo(f"{force_slug}: written to {output}, BROKEN: {found.problem}", err=True)
        raise SystemExit(1)
    click.echo(f"{force_slug}: {found.count} events written to {output}; head {_head_of(found)}")


@audit.command("check")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_HEAD_OPTION
def audit_check(export: Path, noted_head: str | None) -> None:
    """Check an exported chain offline (no database): every event in order, each hashed and
    linked to the one before, from the force's first event. Prints its head (SEQ:HASH); with
    --head, that event must be in it, unchanged."""
    with export.open("rb") as lines:
        found = check_export(lines, _head(noted_head))
    if found.problem is not None:
        click.echo(f"{export}: BROKEN: {found.problem}", err=True)
        raise SystemExit(1)
    click.echo(f"{export}: ok ({found.count} events; head {_head_of(found)})")


def _head_of(found: Walk) -> str:
    return str(ChainHead(found.last_seq, found.last_hash)) if found.count else "none"
