"""Calling event and veto hooks for one force: only its enabled plugins, each on its own.

This is the one place where pluggy's synchronous calls meet async code. Each enabled plugin
is called through its own pluggy subset caller (so it receives its own configuration and a
failure is attributed to it), and the coroutines are gathered concurrently.
"""

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import msgspec

from exhibit.plugins.context import ForceInfo
from exhibit.plugins.manager import Plugins

log = logging.getLogger(__name__)


class HookFailure(msgspec.Struct, frozen=True):
    """A plugin's hook implementation raised."""

    plugin_id: str
    hook: str
    error: str


class Refusal(msgspec.Struct, frozen=True):
    """A veto hook refused; ``reason`` is shown to the officer."""

    plugin_id: str
    reason: str


async def _call_each(
    plugins: Plugins,
    hook: str,
    force: ForceInfo,
    enabled: Mapping[str, Any],
    kwargs: Mapping[str, Any],
) -> list[tuple[str, Any]]:
    """Call ``hook`` in every enabled plugin that implements it; (plugin id, result or error)."""
    calls: list[tuple[str, Any]] = []
    for plugin_id, config in enabled.items():
        if not plugins.implements(plugin_id, hook):
            continue
        caller = plugins.caller(hook, plugin_id)
        try:
            (awaitable,) = caller(force=force, config=config, **kwargs)
        except Exception as exc:  # raised before the coroutine was even made
            calls.append((plugin_id, _ready(exc)))
            continue
        calls.append((plugin_id, awaitable))
    results = await asyncio.gather(*(c for _, c in calls), return_exceptions=True)
    return [(plugin_id, result) for (plugin_id, _), result in zip(calls, results, strict=True)]


async def _ready(exc: Exception) -> Any:
    raise exc


async def emit(
    plugins: Plugins, hook: str, force: ForceInfo, enabled: Mapping[str, Any], **kwargs: Any
) -> list[HookFailure]:
    """Run an event hook in the force's enabled plugins; return the failures (also logged).

    A failure never propagates: the change the event reports is already committed.
    """
    failures = []
    for plugin_id, result in await _call_each(plugins, hook, force, enabled, kwargs):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result  # cancellation and exits are not plugin failures
            log.error(
                "plugin %s failed in %s for force %s: %r", plugin_id, hook, force.slug, result
            )
            failures.append(HookFailure(plugin_id, hook, repr(result)[:2000]))
    return failures


async def refusals(
    plugins: Plugins, hook: str, force: ForceInfo, enabled: Mapping[str, Any], **kwargs: Any
) -> list[Refusal]:
    """Run a veto hook in the force's enabled plugins; every refusal, errors counting as one."""
    found = []
    for plugin_id, result in await _call_each(plugins, hook, force, enabled, kwargs):
        if isinstance(result, Exception):
            log.error(
                "plugin %s failed in %s for force %s: %r", plugin_id, hook, force.slug, result
            )
            found.append(Refusal(plugin_id, f"could not be checked by {plugin_id}"))
        elif isinstance(result, BaseException):
            raise result
        elif result is not None:
            found.append(Refusal(plugin_id, str(result)))
    return found
