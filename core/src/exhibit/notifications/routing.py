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
