"""Choosing the notifier a force's message goes through."""

from collections.abc import Mapping
from typing import Any

from exhibit.plugins.manager import Plugins, Provided

OUTBOX = "outbox"


class NoNotifier(LookupError):
    """The force's plugins offer more than one notifier for a channel and none is chosen."""


def notifier_for(plugins: Plugins, enabled: Mapping[str, Any], channel: str) -> Provided[type]:
    """The notifier of the force's enabled plugins for ``channel``; the outbox if none.

    When one plugin offers several providers on a channel (e.g. notify_sms offers
    GOV.UK Notify, Twilio and SNS), its configuration picks one with a ``provider`` field.
    """
    candidates = [
        provided
        for (provided_channel, key), provided in sorted(plugins.notifiers.items())
        if provided_channel == channel and provided.plugin_id in enabled
    ]
    if not candidates:
        return plugins.notifiers[(channel, OUTBOX)]
    if len(candidates) == 1:
        return candidates[0]
    for provided in candidates:
        chosen = getattr(enabled[provided.plugin_id], "provider", None)
        if chosen == getattr(provided.provider, "key", None):
            return provided
    names = ", ".join(f"{p.plugin_id}:{getattr(p.provider, 'key', '?')}" for p in candidates)
    raise NoNotifier(f"several {channel} notifiers are enabled ({names}); configure one provider")


def fallback_for(
    plugins: Plugins, enabled: Mapping[str, Any], channel: str, primary: Provided[type]
) -> Provided[type] | None:
    """The provider a force listed as the fallback for ``primary``, or None.

    The primary plugin's configuration names it in a ``fallback`` field (a provider key on
    the same channel); it may belong to any plugin the force has enabled.
    """
    chosen = getattr(enabled.get(primary.plugin_id), "fallback", None)
    if not chosen:
        return None
    provided = plugins.notifiers.get((channel, chosen))
    if provided is None or provided.plugin_id not in enabled or provided == primary:
        raise NoNotifier(f"the fallback {channel} provider {chosen!r} is not enabled")
    return provided
