"""Building a platform for a CLI command, and reporting errors the way a terminal expects."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from exhibit.platform import Platform
from exhibit.plugins.manager import PluginError, load_plugins
from exhibit.settings import Settings, load_settings

T = TypeVar("T")


def run_with_platform(
    work: Callable[[Platform], Awaitable[T]], settings: Settings | None = None
) -> T:
    """Run ``work`` with a platform built from the environment, then release it.

    Errors that an operator can fix (a bad plugin, a bad argument) end the command with
    their message instead of a traceback.
    """
    settings = settings or load_settings()
    try:
        plugins = load_plugins()
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None

    async def main() -> T:
        platform = Platform(settings, plugins)
        try:
            return await work(platform)
        finally:
            await platform.close()

    try:
        return asyncio.run(main())
    except (ValueError, LookupError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
