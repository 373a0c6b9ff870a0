"""A provider's context for tests: what the core builds a storage backend or notifier with."""

from pathlib import Path
from typing import Any

from exhibit.plugins.context import ForceInfo, ProviderContext
from exhibit.settings import Settings
from exhibit.testing.snapshots import DEMO_FORCE


def provider_context(
    data_dir: Path,
    plugin_id: str,
    config: Any = None,
    force: ForceInfo | None = None,
) -> ProviderContext:
    """The context a provider of ``plugin_id`` gets for one force, with its data under ``data_dir``.

    ``config`` is the plugin's configuration Struct for the force (``plugin_config`` makes
    one from settings as an administrator gives them); ``force`` defaults to
    ``DEMO_FORCE``. No database is opened: the URL only satisfies the settings.
    """
    settings = Settings(data_dir=data_dir, database_url="sqlite+aiosqlite:///unused")
    return ProviderContext(
        settings=settings,
        force=force or DEMO_FORCE,
        plugin_id=plugin_id,
        config=config,
    )
