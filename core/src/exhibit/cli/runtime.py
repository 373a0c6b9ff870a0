"""Building a platform for a CLI command, and reporting errors the way a terminal expects."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.exc import DBAPIError

from exhibit.cli.database_errors import explain_database_failure, is_missing_schema
from exhibit.platform import Platform
from exhibit.plugins.manager import PluginError, load_plugins
from exhibit.settings import Settings, load_settings
from exhibit.startup import check_schema

T = TypeVar("T")


def settings_from_environment() -> Settings:
    """The settings ``load_settings`` reads; a bad one ends the command with what is wrong."""
    try:
        return load_settings()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def run_with_platform(
    work: Callable[[Platform], Awaitable[T]], settings: Settings | None = None
) -> T:
    """Run ``work`` with a platform built from the environment, then release it.

    Errors that an operator can fix (a bad setting, plugin or argument; a database that is
    down, refuses us or is not migrated) end the command with one line, not a traceback.
    """
    settings = settings or settings_from_environment()
    try:
        plugins = load_plugins()
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None

    async def main() -> T:
        if settings.is_sqlite:
            # As for the key file: a fresh folder then reads as "not migrated", not as a
            # file that cannot be opened (where aiosqlite 0.22 can also print a stray traceback).
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        platform = Platform(settings, plugins)
        try:
            return await work(platform)
        except DBAPIError as exc:
            if is_missing_schema(exc):
                await check_schema(platform)  # NotReady names the cause: no schema, or an old one
            raise
        finally:
            await platform.close()

    try:
        return asyncio.run(main())
    except (ValueError, LookupError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    except (OSError, DBAPIError) as exc:
        explained = explain_database_failure(exc, settings.database_url)
        if explained is None:
            raise
        raise click.ClickException(explained) from None
