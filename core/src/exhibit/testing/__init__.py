"""Test helpers shipped to plugin authors (see "Testing your plugin" in docs/plugins.md)."""

from exhibit.testing.context import provider_context
from exhibit.testing.hooks import call_hook, load_plugin, plugin_config
from exhibit.testing.snapshots import (
    DEMO_FORCE,
    byte_stream,
    item_info,
    submission_info,
    upload_candidate,
)

__all__ = [
    "DEMO_FORCE",
    "byte_stream",
    "call_hook",
    "item_info",
    "load_plugin",
    "plugin_config",
    "provider_context",
    "submission_info",
    "upload_candidate",
]
