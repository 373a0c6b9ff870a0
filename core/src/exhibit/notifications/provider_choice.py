"""A notifier plugin's choice of provider in its configuration, as ``routing`` reads it.

A plugin that offers several providers on a channel gives its configuration Struct a
``provider`` field (a provider key), optionally a ``fallback`` (another key of the same
channel), and one settings section per provider, named by its key (``twilio``, ``ses``).
Call ``check_provider_choice`` from the Struct's ``__post_init__``: a force cannot then
save a choice that could not send, and ``check_chosen_providers`` from its settings check.
"""

from collections.abc import Awaitable, Callable
from typing import Any


def check_provider_choice(config: object, provider: str, fallback: str | None) -> None:
    """Raise ``ValueError`` unless ``provider`` and ``fallback`` have settings and differ."""
    for key in (provider, fallback):
        if key is not None and getattr(config, key, None) is None:
            raise ValueError(f"provider {key!r} is chosen but has no `{key}` settings")
    if fallback == provider:
        raise ValueError("the fallback must be a different provider")


PROVIDER_CHECK_LIMIT = 20.0
"""Seconds a settings check gives each provider (the core gives a whole check 30)."""


async def check_chosen_providers(
    config: Any, check: Callable[[str, float], Awaitable[list[str]]]
) -> list[str]:
    """A settings check (``exhibit_check_settings``) of the chosen ``provider`` and of the
    ``fallback``, if any, whose problems are marked ``fallback: ``.

    ``check(key, time_limit)`` tries one provider's settings within ``time_limit`` seconds:
    the config's ``timeout_seconds``, at most ``PROVIDER_CHECK_LIMIT``.
    """
    time_limit = min(config.timeout_seconds, PROVIDER_CHECK_LIMIT)
    problems = await check(config.provider, time_limit)
    if config.fallback is not None:
        problems += [f"fallback: {p}" for p in await check(config.fallback, time_limit)]
    return problems
