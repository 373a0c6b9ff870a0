"""The running platform: settings, database, plugins and secrets, shared by app, CLI and worker."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

import exhibit.db.models  # noqa: F401  (every table mapped before the first flush)
from exhibit.db.engine import create_engine, create_session_factory
from exhibit.db.scoping import force_session
from exhibit.forces.plugin_settings import enabled_plugin_config
from exhibit.plugins.context import ForceInfo, ProviderContext
from exhibit.plugins.manager import Plugins
from exhibit.secrets import SecretBox, load_secret_box
from exhibit.settings import Settings
from exhibit.storage.backend import StorageBackend
from exhibit.storage.capabilities import finish_background_writes


class ProviderUnavailable(LookupError):
    """A force names a provider that no installed plugin offers, or whose plugin it disabled."""


class Platform:
    """One process's view of Exhibit. Holds nothing another process would need."""

    def __init__(self, settings: Settings, plugins: Plugins) -> None:
        self.settings = settings
        self.plugins = plugins
        self.engine = create_engine(settings.database_url)
        self.sessions = create_session_factory(self.engine)
        self.secret_box: SecretBox = load_secret_box(settings.secret_key, settings.data_dir)

    def force_session(self, force_id: int) -> AbstractAsyncContextManager[AsyncSession]:
        """A session that sees and writes only the rows of ``force_id``."""
        return force_session(self.sessions, force_id)

    @asynccontextmanager
    async def system_session(self) -> AsyncIterator[AsyncSession]:
        """An unscoped session, for work across forces (CLI, sweeps, the job queue)."""
        async with self.sessions() as session:
            yield session

    async def force_storage(
        self, session: AsyncSession, force: ForceInfo, backend_key: str
    ) -> StorageBackend:
        """The force's instance of ``backend_key``, with the force's settings for its plugin.

        ``session`` is the caller's (scoped to ``force``); a built-in backend needs no
        settings and no query. Raises ``ProviderUnavailable`` when no installed plugin offers
        the backend or the force has not enabled the plugin that does.
        """
        provided = self.plugins.storage_backends.get(backend_key)
        if provided is None:
            raise ProviderUnavailable(f"no installed plugin offers storage backend {backend_key!r}")
        if provided.plugin_id in self.plugins.builtin_ids:
            return self.storage(force, backend_key)
        enabled, config = await enabled_plugin_config(
            session, self.plugins, self.secret_box, force, provided.plugin_id
        )
        if not enabled:
            raise ProviderUnavailable(
                f"storage backend {backend_key!r} comes from plugin {provided.plugin_id!r}, "
                f"which force {force.slug!r} has not enabled"
            )
        return self.storage(force, backend_key, config)

    def storage(self, force: ForceInfo, backend_key: str, config: object = None) -> StorageBackend:
        """An instance of the storage backend ``backend_key`` for ``force``, given its settings.

        Most callers want ``force_storage``, which looks the force's settings up.
        """
        provided = self.plugins.storage_backends.get(backend_key)
        if provided is None:
            raise ProviderUnavailable(f"no installed plugin offers storage backend {backend_key!r}")
        context = ProviderContext(
            settings=self.settings, force=force, plugin_id=provided.plugin_id, config=config
        )
        backend: StorageBackend = provided.provider(context)
        return backend

    async def close(self) -> None:
        """Let the stores finish their background writes, then release database connections."""
        await finish_background_writes(p.provider for p in self.plugins.storage_backends.values())
        await self.engine.dispose()
