"""Loading one plugin as Exhibit would, and calling its per-force hooks as the core does.

A plugin's unit tests use these to meet the start-up checks and the strict configuration
in the test rather than when a server starts::

    import exhibit_my_plugin
    from exhibit.testing import call_hook, load_plugin, plugin_config

    async def test_it_refuses_bad_files() -> None:
        plugins = load_plugin("my_plugin", exhibit_my_plugin)
        config = plugin_config(plugins, "my_plugin", {"api_key": {"value": "k"}})
        reason = await call_hook(
            plugins, "my_plugin", "exhibit_validate_upload", config, upload=...
        )
"""

from collections.abc import Mapping
from typing import Any

import msgspec

from exhibit.plugins.config import load_config
from exhibit.plugins.context import ForceInfo
from exhibit.plugins.hookspecs import CHECK_HOOKS, EVENT_HOOKS, VETO_HOOKS
from exhibit.plugins.manager import Plugins, load_builtin_plugins
from exhibit.secrets import SecretBox
from exhibit.testing.snapshots import DEMO_FORCE

PER_FORCE_HOOKS = (*EVENT_HOOKS, *VETO_HOOKS, *CHECK_HOOKS)

# Secrets given by value in a test are encrypted with a key that lives as long as the process.
_TEST_BOX = SecretBox(SecretBox.generate_key())


def load_plugin(plugin_id: str, plugin: object) -> Plugins:
    """The built-ins plus ``plugin`` (a module or object) under ``plugin_id``, checked as at
    start-up: raises ``exhibit.plugins.manager.PluginError`` with the message Exhibit would
    stop with (an unknown hook, a sync event hook, a bad configuration Struct, ...).
    """
    return load_builtin_plugins([(plugin_id, plugin)])


def plugin_config(
    plugins: Plugins, plugin_id: str, raw: Mapping[str, Any], force: ForceInfo = DEMO_FORCE
) -> msgspec.Struct:
    """``raw`` settings (as an administrator gives them: JSON, secrets as ``{"value": ...}``
    or ``{"env": ...}``) converted strictly to the plugin's Struct, as saving them does.

    Raises ``exhibit.plugins.config.InvalidPluginConfig`` (a ``ValueError``) naming the field
    when the settings would be refused.
    """
    config_type = plugins.config_types.get(plugin_id)
    if config_type is None:
        raise LookupError(f"plugin {plugin_id!r} declares no configuration (exhibit_plugin_config)")
    return load_config(plugin_id, config_type, raw, _TEST_BOX, force_slug=force.slug)


async def call_hook(
    plugins: Plugins,
    plugin_id: str,
    hook: str,
    config: msgspec.Struct | None,
    *,
    force: ForceInfo = DEMO_FORCE,
    **arguments: Any,
) -> Any:
    """Call ``plugin_id``'s event, veto or check ``hook`` for ``force`` and return its result.

    The call goes through pluggy exactly as the core's (only this plugin, keyword arguments,
    your function taking any subset of them), but an exception reaches your test rather than
    being logged (event hooks) or counted as a refusal (``exhibit_validate_upload``).
    """
    if hook not in PER_FORCE_HOOKS:
        raise ValueError(f"{hook!r} is not an event, veto or check hook")
    if not plugins.implements(plugin_id, hook):
        raise LookupError(f"plugin {plugin_id!r} does not implement {hook}")
    (awaitable,) = plugins.caller(hook, plugin_id)(force=force, config=config, **arguments)
    return await awaitable
