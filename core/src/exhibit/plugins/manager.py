"""Loading plugins: entry points and built-ins, checked at start-up, collected into registries.

One ``Plugins`` object is built per app (never a module-level global), so a test can build
one holding exactly the plugins it names. Everything wrong with a plugin (a bad id, an
import error, an unknown hook, an argument a hook does not offer or one with a default, a
sync event hook, a bad configuration Struct, a provider key another plugin already claimed)
stops start-up with a ``PluginError`` naming the plugin.
"""

import difflib
import importlib
import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Generic, TypeVar

import click
import msgspec
import pluggy
from litestar.types import ControllerRouterHandler

from exhibit import __version__
from exhibit.jobs.handlers import JobHandler
from exhibit.plugins import hookspecs
from exhibit.plugins.config import InvalidPluginConfig, check_config_type

ENTRY_POINT_GROUP = "exhibit"
T = TypeVar("T")
K = TypeVar("K")
PLUGIN_ID = re.compile(r"^[a-z][a-z0-9_]*$")

# Core behaviour that ships as plugins, registered exactly like third-party ones and always on.
BUILTIN_PLUGINS: tuple[tuple[str, str, str], ...] = (
    ("local_storage", "exhibit.storage.local", "Evidence storage in a folder on this server"),
    (
        "outbox",
        "exhibit.notifications.outbox",
        "Messages kept for the web app when no provider sends them",
    ),
)
SUMMARY_PREFIX = "Exhibit plugin:"
"""How a plugin's package description may begin (left out of its summary)."""


class PluginError(Exception):
    """A plugin cannot be used; the message names it and says what is wrong."""


@dataclass(frozen=True)
class InstalledPlugin:
    """A plugin known to this process: its id, where it comes from, and whether it is built in."""

    id: str
    distribution: str
    version: str
    builtin: bool
    summary: str = ""
    """What it does, in a few words: its package's description (``Summary``), if any."""


@dataclass(frozen=True)
class Provided(Generic[T]):
    """A provider class and the plugin that contributed it."""

    plugin_id: str
    provider: T


@dataclass
class Plugins:
    """The plugins of one app: the pluggy manager and everything the plugins registered."""

    manager: pluggy.PluginManager
    installed: dict[str, InstalledPlugin] = field(default_factory=dict)
    config_types: dict[str, type[msgspec.Struct]] = field(default_factory=dict)
    storage_backends: dict[str, Provided[type]] = field(default_factory=dict)
    notifiers: dict[tuple[str, str], Provided[type]] = field(default_factory=dict)
    media_processors: dict[str, Provided[type]] = field(default_factory=dict)
    share_targets: dict[str, Provided[type]] = field(default_factory=dict)
    job_handlers: dict[str, Provided[JobHandler]] = field(default_factory=dict)
    periodic_jobs: dict[str, timedelta] = field(default_factory=dict)
    web_routes: dict[str, list[ControllerRouterHandler]] = field(default_factory=dict)
    template_dirs: dict[str, Path] = field(default_factory=dict)
    cli_commands: dict[str, list[click.Command]] = field(default_factory=dict)
    migration_dirs: dict[str, Path] = field(default_factory=dict)
    _callers: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def builtin_ids(self) -> frozenset[str]:
        """Ids of the built-in plugins, which every force has."""
        return frozenset(p.id for p in self.installed.values() if p.builtin)

    def implements(self, plugin_id: str, hook_name: str) -> bool:
        """True if the plugin implements the named hook."""
        hook = getattr(self.manager.hook, hook_name)
        return any(impl.plugin_name == plugin_id for impl in hook.get_hookimpls())

    def caller(self, hook_name: str, plugin_id: str) -> Callable[..., list[Any]]:
        """A pluggy caller of ``hook_name`` that reaches only ``plugin_id`` (cached)."""
        key = (hook_name, plugin_id)
        if key not in self._callers:
            others = [
                plugin
                for name, plugin in self.manager.list_name_plugin()
                if name != plugin_id and plugin is not None
            ]
            self._callers[key] = self.manager.subset_hook_caller(hook_name, others)
        caller: Callable[..., list[Any]] = self._callers[key]
        return caller


def load_plugins(extra: Iterable[tuple[str, object]] = ()) -> Plugins:
    """The built-ins plus every plugin installed under the ``exhibit`` entry-point group.

    ``extra`` adds (id, module-or-object) pairs, for tools that embed Exhibit.
    """
    found: list[tuple[str, object, InstalledPlugin]] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        _check_id(ep.name)
        try:
            obj = ep.load()
        except Exception as exc:
            raise PluginError(f"plugin {ep.name!r} failed to import: {exc!r}") from exc
        dist = ep.dist
        found.append(
            (
                ep.name,
                obj,
                InstalledPlugin(
                    id=ep.name,
                    distribution=dist.name if dist else "?",
                    version=dist.version if dist else "?",
                    builtin=False,
                    summary=summary((dist.metadata.get_all("Summary") or [""])[0]) if dist else "",
                ),
            )
        )
    for plugin_id, obj in extra:
        found.append((plugin_id, obj, InstalledPlugin(plugin_id, "(embedded)", "?", False)))
    return build_plugins(found)


def summary(description: str) -> str:
    """A package's one-line description as a plugin's summary: without ``SUMMARY_PREFIX`` or
    a closing full stop ("Exhibit plugin: SMS delivery." becomes "SMS delivery")."""
    text = description.strip()
    if text.lower().startswith(SUMMARY_PREFIX.lower()):
        text = text[len(SUMMARY_PREFIX) :].strip()
    return text.removesuffix(".").strip()


def load_builtin_plugins(extra: Iterable[tuple[str, object]] = ()) -> Plugins:
    """Only the built-ins, plus the (id, module-or-object) pairs given: for tests and tools."""
    return build_plugins(
        [
            (plugin_id, obj, InstalledPlugin(plugin_id, "(embedded)", "?", False))
            for plugin_id, obj in extra
        ]
    )


def build_plugins(found: Sequence[tuple[str, object, InstalledPlugin]]) -> Plugins:
    """Register the built-ins and the plugins given, check them all, collect their providers."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    plugins = Plugins(manager=pm)
    builtins = [
        (
            plugin_id,
            importlib.import_module(module),
            InstalledPlugin(plugin_id, "exhibit", __version__, True, about),
        )
        for plugin_id, module, about in BUILTIN_PLUGINS
    ]
    for plugin_id, obj, info in [*builtins, *found]:
        _check_id(plugin_id)
        if plugin_id in plugins.installed:
            raise PluginError(f"two plugins are registered under the id {plugin_id!r}")
        try:
            pm.register(obj, name=plugin_id)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {plugin_id!r} is invalid: {exc}") from None
        plugins.installed[plugin_id] = info
    _check_unknown_hooks(pm)
    _check_async_kinds(pm)
    _check_no_defaults(pm)
    for plugin_id in plugins.installed:
        _collect(plugins, plugin_id)
    return plugins


def _check_id(plugin_id: str) -> None:
    if not PLUGIN_ID.match(plugin_id):
        raise PluginError(
            f"plugin id {plugin_id!r} must be lower case letters, digits and underscores, "
            "starting with a letter"
        )


_ASYNC_HOOKS = (*hookspecs.EVENT_HOOKS, *hookspecs.VETO_HOOKS, *hookspecs.CHECK_HOOKS)
MIN_PERIOD = timedelta(minutes=1)


def _check_unknown_hooks(pm: pluggy.PluginManager) -> None:
    known = [*hookspecs.REGISTRATION_HOOKS, *_ASYNC_HOOKS]
    for name in dir(pm.hook):
        if name.startswith("_"):
            continue
        hook = getattr(pm.hook, name)
        if hook.has_spec():
            continue
        for impl in hook.get_hookimpls():
            near = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise PluginError(f"plugin {impl.plugin_name!r} implements unknown hook {name!r}{hint}")


def _check_async_kinds(pm: pluggy.PluginManager) -> None:
    for name in _ASYNC_HOOKS:
        for impl in getattr(pm.hook, name).get_hookimpls():
            if not inspect.iscoroutinefunction(impl.function):
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {name} must be declared `async def`"
                )
    for name in hookspecs.REGISTRATION_HOOKS:
        for impl in getattr(pm.hook, name).get_hookimpls():
            if inspect.iscoroutinefunction(impl.function):
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {name} is a registration hook and must be "
                    "a plain `def`"
                )


def _check_no_defaults(pm: pluggy.PluginManager) -> None:
    # pluggy never passes an argument that has a default, so it would silently stay unset.
    for name in (*hookspecs.REGISTRATION_HOOKS, *_ASYNC_HOOKS):
        for impl in getattr(pm.hook, name).get_hookimpls():
            if impl.kwargnames:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {name} gives a default to "
                    f"{', '.join(impl.kwargnames)}; hooks never pass arguments with defaults, "
                    "so remove the default"
                )


def _registered(pm: pluggy.PluginManager, hook_name: str, plugin_id: str) -> Any:
    """Call one plugin's implementation of a registration hook, or return None."""
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        if impl.plugin_name == plugin_id:
            try:
                return impl.function()
            except Exception as exc:
                raise PluginError(f"plugin {plugin_id!r}: {hook_name} raised {exc!r}") from exc
    return None


def _collect(plugins: Plugins, plugin_id: str) -> None:
    pm = plugins.manager
    config_type = _registered(pm, "exhibit_plugin_config", plugin_id)
    if config_type is not None:
        try:
            plugins.config_types[plugin_id] = check_config_type(plugin_id, config_type)
        except InvalidPluginConfig as exc:
            raise PluginError(str(exc)) from None

    for cls in _registered(pm, "exhibit_storage_backends", plugin_id) or ():
        key = _provider_key(plugin_id, cls, ("begin", "append", "complete", "read", "delete"))
        _claim(plugins.storage_backends, key, plugin_id, cls, "storage backend")
    for cls in _registered(pm, "exhibit_notifiers", plugin_id) or ():
        key = _provider_key(plugin_id, cls, ("send",))
        channel = getattr(cls, "channel", None)
        if channel not in ("sms", "email"):
            raise PluginError(f"plugin {plugin_id!r}: notifier {cls!r} has no channel sms/email")
        _claim(plugins.notifiers, (channel, key), plugin_id, cls, "notifier")
    for cls in _registered(pm, "exhibit_media_processors", plugin_id) or ():
        key = _provider_key(plugin_id, cls, ("accepts", "process"))
        _claim(plugins.media_processors, key, plugin_id, cls, "media processor")
    for cls in _registered(pm, "exhibit_share_targets", plugin_id) or ():
        key = _provider_key(plugin_id, cls, ("deliver", "revoke"))
        _claim(plugins.share_targets, key, plugin_id, cls, "share target")
    for kind, handler in (_registered(pm, "exhibit_job_handlers", plugin_id) or {}).items():
        if not kind.startswith(f"{plugin_id}.") or not inspect.iscoroutinefunction(handler):
            raise PluginError(
                f"plugin {plugin_id!r}: job kind {kind!r} must start with {plugin_id + '.'!r} "
                "and its handler must be `async def`"
            )
        plugins.job_handlers[kind] = Provided(plugin_id, handler)
    for kind, interval in (_registered(pm, "exhibit_periodic_jobs", plugin_id) or {}).items():
        handler = plugins.job_handlers.get(kind)
        if handler is None or handler.plugin_id != plugin_id:
            raise PluginError(
                f"plugin {plugin_id!r}: periodic job {kind!r} is not one of its job handlers"
            )
        if not isinstance(interval, timedelta) or interval < MIN_PERIOD:
            raise PluginError(
                f"plugin {plugin_id!r}: periodic job {kind!r} needs a timedelta of at least "
                "a minute"
            )
        plugins.periodic_jobs[kind] = interval

    routes = _registered(pm, "exhibit_web_routes", plugin_id)
    if routes:
        plugins.web_routes[plugin_id] = list(routes)
    template_dir = _registered(pm, "exhibit_template_dir", plugin_id)
    if template_dir is not None:
        plugins.template_dirs[plugin_id] = _existing_dir(plugin_id, template_dir, "templates")
    commands = _registered(pm, "exhibit_cli_commands", plugin_id)
    if commands:
        plugins.cli_commands[plugin_id] = list(commands)
    migrations = _registered(pm, "exhibit_migrations", plugin_id)
    if migrations is not None:
        plugins.migration_dirs[plugin_id] = _existing_dir(plugin_id, migrations, "migrations")


def _provider_key(plugin_id: str, cls: object, methods: Sequence[str]) -> str:
    key = getattr(cls, "key", None)
    if not isinstance(cls, type) or not isinstance(key, str) or not PLUGIN_ID.match(key):
        raise PluginError(
            f"plugin {plugin_id!r}: {cls!r} must be a class with a `key` class attribute"
        )
    missing = [m for m in methods if not callable(getattr(cls, m, None))]
    if missing:
        raise PluginError(f"plugin {plugin_id!r}: {cls.__name__} lacks {', '.join(missing)}")
    return key


def _claim(registry: dict[K, Provided[type]], key: K, plugin_id: str, cls: type, what: str) -> None:
    if key in registry:
        other = registry[key].plugin_id
        raise PluginError(
            f"{what} {key!r} is offered by both plugin {other!r} and plugin {plugin_id!r}"
        )
    registry[key] = Provided(plugin_id, cls)


def _existing_dir(plugin_id: str, value: object, what: str) -> Path:
    path = Path(str(value))
    if not path.is_dir():
        raise PluginError(f"plugin {plugin_id!r}: {what} folder {path} does not exist")
    return path
