"""``exhibit evidence verify``: does the evidence store still hold what the database lists?"""

import time
from collections.abc import Callable

import click
from sqlalchemy import select

from exhibit.cli.runtime import run_with_platform
from exhibit.evidence.fixity import (
    Finding,
    FixityCheckFailed,
    FixityReport,
    Mode,
    Problem,
    Progress,
    check_force,
)
from exhibit.forces.models import Force
from exhibit.platform import Platform

ACTOR = "cli"
PROBLEMS_FOUND = 1
COULD_NOT_RUN = 2
PROGRESS_EVERY = 5.0
"""Seconds between progress lines on standard error."""


class CheckCouldNotRun(click.ClickException):
    """Nothing could be checked (the database, or no such force): exit status 2."""

    exit_code = COULD_NOT_RUN


@click.group()
def evidence() -> None:
    """Check the evidence store against the database."""


@evidence.command("verify")
@click.option("--force", "force_slug", default=None, help="Only this force (default: all).")
@click.option(
    "--full",
    is_flag=True,
    help="Also read every original and derivative back and compare its SHA-256 "
    "(reads the whole store).",
)
def evidence_verify(force_slug: str | None, full: bool) -> None:
    """Check that each force's store holds every original and derivative its records list,
    at the recorded size (with --full, also the recorded SHA-256); that disposed items left
    nothing behind; and that the store holds nothing no record names (orphans).

    Prints one line per problem and a summary per force, and records the check in the
    force's audit chain. Exits 0 when all is well, 1 when anything is missing, changed,
    left after disposal or orphaned, 2 when a check could not run.
    """
    mode = Mode.FULL if full else Mode.QUICK

    async def work(platform: Platform) -> int:
        async with platform.system_session() as session:
            query = select(Force.id, Force.slug).order_by(Force.slug)
            if force_slug:
                query = query.where(Force.slug == force_slug)
            forces = (await session.execute(query)).all()
        if not forces:
            raise LookupError(f"no force {force_slug!r}" if force_slug else "no forces yet")
        status = 0
        for force_id, slug in forces:
            try:
                report = await check_force(
                    platform,
                    force_id,
                    mode,
                    actor=ACTOR,
                    on_finding=_finding_printer(slug),
                    on_progress=_progress_printer(slug),
                )
            except FixityCheckFailed as exc:
                click.echo(f"{slug}: the check could not run: {exc}", err=True)
                status = COULD_NOT_RUN
                continue
            for line in _summary(slug, report):
                click.echo(line)
            if not report.ok:
                status = max(status, PROBLEMS_FOUND)
        return status

    try:
        status = run_with_platform(work)
    except click.ClickException as exc:  # a database or force problem: nothing was checked
        raise CheckCouldNotRun(exc.message) from None
    if status:
        raise SystemExit(status)


def _finding_printer(slug: str) -> Callable[[Finding], None]:
    return lambda finding: click.echo(_line(slug, finding))


def _line(slug: str, finding: Finding) -> str:
    label = finding.problem.upper().replace(" ", "-")
    if finding.item_id is None:
        return f"{slug}: {label} {finding.key}: {finding.what}"
    return (
        f"{slug}: {label} item {finding.item_id} (case {finding.case_reference}) "
        f"{finding.key}: {finding.what}"
    )


def _summary(slug: str, report: FixityReport) -> list[str]:
    done = report.progress
    checked = (
        f"{slug}: {report.mode} check of {done.items_done} items ({report.originals} originals, "
        f"{report.derivatives} derivatives, {report.tombstones} disposed of"
        + (f", {_megabytes(done.bytes_read)} read)" if report.mode is Mode.FULL else ")")
    )
    if report.ok:
        outcome = "all well"
    else:
        outcome = ", ".join(f"{count} {problem}" for problem, count in _counts(report) if count)
    lines = [f"{checked}: {outcome}"]
    lines += [
        f"{slug}: store {backend!r} cannot list its objects: orphans not looked for in it"
        for backend in report.unlisted
    ]
    return lines


def _counts(report: FixityReport) -> list[tuple[str, int]]:
    names = {
        Problem.MISSING: "missing",
        Problem.CHANGED: "changed",
        Problem.NOT_DISPOSED: "left after disposal",
        Problem.ORPHAN: "orphaned",
    }
    return [(names[problem], report.counts[problem]) for problem in Problem]


def _progress_printer(slug: str) -> Callable[[Progress], None]:
    """A progress callback that prints a line to standard error every ``PROGRESS_EVERY`` s."""
    last = time.monotonic()

    def show(progress: Progress) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_EVERY:
            return
        last = now
        line = f"{slug}: {progress.items_done} of {progress.items_total} items checked"
        if progress.bytes_read:
            line += (
                f", {_megabytes(progress.bytes_read)} of {_megabytes(progress.bytes_total)} read"
            )
        click.echo(line, err=True)

    return show


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:,.1f} MB"
