"""A provider's context for tests: what the core builds a storage backend or notifier with."""

from pathlib import Path
from typing import Any

from exhibit.plugins.context import ForceInfo, ProviderContext
from exhibit.settings import Settings


def provider_context(
    data_dir: Path,
    plugin_id: str,
    config: Any = None,
    force: ForceInfo | None = None,
) -> ProviderContext:
    """The context a provider of ``plugin_id`` gets for one force, with its data under ``data_dir``.

    ``config`` is the plugin's configuration Struct for the force; ``force`` defaults to a
    force with id 1, slug ``demo``. No database is opened: the URL only satisfies the settings.
    """
    settings = Settings(data_dir=data_dir, database_url="sqlite+aiosqlite:///unused")
    return ProviderContext(
        settings=settings,
        force=force or ForceInfo(id=1, slug="demo", name="Demo"),
        plugin_id=plugin_id,
        config=config,
    )
