"""``/admin/plugins``: the installed plugins, and a form per plugin generated from its config
Struct.

Simple fields (text, numbers, yes/no, a choice) get their own input; anything nested (a
Struct, a list, a map) is edited as JSON. ``Secret`` fields are write-only: the form shows
whether one is stored, never its value; leaving the box empty keeps it, ``env:NAME`` reads
it from the environment. Nested secrets appear as ``{"encrypted": "********"}`` and are kept
when saved back unchanged. Saving goes through ``configure_plugin``'s strict validation, and
its error is shown next to the field it names.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from msgspec import inspect as mi
from sqlalchemy import select

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.forces.models import ForcePlugin
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig
from exhibit.secrets import Secret
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other

ADMIN = {"permission": Permission.ADMINISTER_FORCE}
MASK = "********"
_PATH = re.compile(r"`\$\.([A-Za-z0-9_]+)")
_MISSING = re.compile(r"missing required field `([A-Za-z0-9_]+)`")


@dataclass
class PluginField:
    """One top-level field of a plugin's config Struct, as the form shows it."""

    name: str
    kind: str  # "text", "number", "integer", "switch", "choice", "secret" or "json"
    required: bool
    nullable: bool
    choices: tuple[str, ...] = ()
    value: str = ""
    secret_state: str = ""


@dataclass
class PluginForm:
    """A plugin's form: its fields with what is stored or was typed, and any errors."""

    plugin_id: str
    enabled: bool
    fields: list[PluginField]
    errors: list[FieldError] = field(default_factory=list)

    def error(self, name: str) -> str | None:
        """The message for field ``name``, if it has one."""
        return next((e.message for e in self.errors if e.field == name), None)


def describe(config_type: type[msgspec.Struct] | None) -> list[PluginField]:
    """The form fields of a config Struct (none for a plugin without configuration)."""
    if config_type is None:
        return []
    info = mi.type_info(config_type)
    assert isinstance(info, mi.StructType)
    return [_field(f) for f in info.fields]


def _field(f: mi.Field) -> PluginField:
    kind_type, nullable = f.type, False
    if isinstance(kind_type, mi.UnionType):
        others = [t for t in kind_type.types if not isinstance(t, mi.NoneType)]
        nullable = len(others) < len(kind_type.types)
        kind_type = others[0] if len(others) == 1 else kind_type
    kinds: list[tuple[type[mi.Type], str]] = [
        (mi.StrType, "text"),
        (mi.IntType, "integer"),
        (mi.FloatType, "number"),
        (mi.BoolType, "switch"),
    ]
    kind = next((name for cls, name in kinds if isinstance(kind_type, cls)), "json")
    choices: tuple[str, ...] = ()
    if isinstance(kind_type, mi.LiteralType) and all(isinstance(v, str) for v in kind_type.values):
        kind, choices = "choice", tuple(str(v) for v in kind_type.values)
    if isinstance(kind_type, mi.CustomType) and kind_type.cls is Secret:
        kind = "secret"
    return PluginField(f.name, kind, f.required, nullable, choices)


def fill(fields: list[PluginField], stored: dict[str, Any]) -> list[PluginField]:
    """Show the stored configuration in the fields (secrets only as their state)."""
    for f in fields:
        value = stored.get(f.name)
        if f.kind == "secret":
            f.secret_state = _secret_state(value)
        elif f.kind == "json":
            f.value = "" if value is None else json.dumps(_masked(value), indent=2)
        elif f.kind == "switch":
            f.value = "yes" if value else ""
        else:
            f.value = "" if value is None else str(value)
    return fields


def _secret_state(value: Any) -> str:
    if isinstance(value, dict) and "env" in value:
        return f"Read from the environment variable {value['env']}"
    if isinstance(value, dict) and "encrypted" in value:
        return "Stored, encrypted"
    return "Not set"


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"encrypted"}:
            return {"encrypted": MASK}
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _unmasked(value: Any, stored: Any) -> Any:
    """``value`` with each masked secret replaced by the stored one at the same place."""
    if isinstance(value, dict):
        if value == {"encrypted": MASK}:
            return stored if isinstance(stored, dict) and "encrypted" in stored else value
        old = stored if isinstance(stored, dict) else {}
        return {k: _unmasked(v, old.get(k)) for k, v in value.items()}
    if isinstance(value, list):
        old_list = stored if isinstance(stored, list) else []
        return [
            _unmasked(v, old_list[i] if i < len(old_list) else None) for i, v in enumerate(value)
        ]
    return value


def read_form(
    plugin_id: str, fields: list[PluginField], form: FormMultiDict, stored: dict[str, Any]
) -> tuple[PluginForm, dict[str, Any]]:
    """The form as typed (secrets never kept in it) and the raw configuration it gives."""
    state = PluginForm(plugin_id, form.get("enabled") == "yes", fields)
    raw: dict[str, Any] = {}
    for f in fields:
        typed = str(form.get(f.name, "")).strip()
        f.value = "" if f.kind == "secret" else typed
        if f.kind == "secret":
            f.secret_state = _secret_state(stored.get(f.name))
            if typed.startswith("env:"):
                raw[f.name] = {"env": typed[4:].strip()}
            elif typed:
                raw[f.name] = {"value": typed}
            elif f.name in stored:
                raw[f.name] = stored[f.name]
        elif f.kind == "switch":
            raw[f.name] = typed == "yes"
        elif not typed:
            if f.nullable and not f.required:
                raw[f.name] = None
            elif f.required:
                state.errors.append(FieldError(f.name, f"Enter {f.name.replace('_', ' ')}"))
        elif f.kind in ("integer", "number"):
            try:
                raw[f.name] = int(typed) if f.kind == "integer" else float(typed)
            except ValueError:
                state.errors.append(FieldError(f.name, "Enter a number"))
        elif f.kind == "json":
            try:
                raw[f.name] = _unmasked(json.loads(typed), stored.get(f.name))
            except ValueError:
                state.errors.append(FieldError(f.name, "Enter valid JSON"))
        else:
            raw[f.name] = typed
    return state, raw


def _error_field(message: str, fields: list[PluginField]) -> str:
    names = {f.name for f in fields}
    for pattern in (_PATH, _MISSING):
        found = pattern.search(message)
        if found and found.group(1) in names:
            return found.group(1)
    first = re.split(r"[^A-Za-z0-9_]", message, maxsplit=1)[0]  # "prefix must end with ..."
    return first if first in names else "plugin-form"


@get("/admin/plugins", include_in_schema=False, opt=ADMIN)
async def plugins_page(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """Every installed plugin, whether the force has enabled it, and a link to configure it."""
    async with platform.force_session(user.force_id) as session:
        rows = {r.plugin_id: r for r in await session.scalars(select(ForcePlugin))}
    installed = [
        {
            "id": p.id,
            "version": p.version,
            "builtin": p.builtin,
            "enabled": p.builtin or (p.id in rows and rows[p.id].enabled),
        }
        for p in sorted(platform.plugins.installed.values(), key=lambda p: p.id)
    ]
    return page(request, "admin_plugins.html", user=user, installed=installed)


@get("/admin/plugins/{plugin_id:str}", include_in_schema=False, opt=ADMIN)
async def plugin_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    plugin_id: FromPath[str],
) -> Template:
    """One plugin's settings as a form."""
    fields = _fields(platform, plugin_id)
    row = await _row(platform, user.force_id, plugin_id)
    stored = row.config if row is not None else {}
    form = PluginForm(plugin_id, row is not None and row.enabled, fill(fields, stored))
    return page(request, "admin_plugin.html", user=user, form=form)


@post("/admin/plugins/{plugin_id:str}", include_in_schema=False, opt=ADMIN)
async def plugin_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    plugin_id: FromPath[str],
) -> Response[Any]:
    """Enable or disable the plugin with its settings, validated strictly, audited."""
    fields = _fields(platform, plugin_id)
    row = await _row(platform, user.force_id, plugin_id)
    stored = row.config if row is not None else {}
    form, raw = read_form(plugin_id, fields, await request.form(), stored)
    if not form.errors:
        try:
            async with force_transaction(platform, user.force_id) as tx:
                await configure_plugin(
                    tx.session,
                    platform.plugins,
                    platform.secret_box,
                    user.force_id,
                    plugin_id,
                    enabled=form.enabled,
                    config=raw if platform.plugins.config_types.get(plugin_id) else {},
                    actor=f"user:{user.id}",
                )
        except InvalidPluginConfig as exc:
            message = str(exc).split(": ", 1)[-1]
            form.errors.append(FieldError(_error_field(message, fields), message))
    if form.errors:
        return page(request, "admin_plugin.html", status_code=400, user=user, form=form)
    flash(request, f"{plugin_id} is {'enabled' if form.enabled else 'disabled'}; settings saved.")
    return see_other(f"/admin/plugins/{plugin_id}")


def _fields(platform: Platform, plugin_id: str) -> list[PluginField]:
    if plugin_id not in platform.plugins.installed or plugin_id in platform.plugins.builtin_ids:
        raise NotFoundException(f"no plugin {plugin_id} to configure")
    return describe(platform.plugins.config_types.get(plugin_id))


async def _row(platform: Platform, force_id: int, plugin_id: str) -> ForcePlugin | None:
    async with platform.force_session(force_id) as session:
        row: ForcePlugin | None = await session.scalar(
            select(ForcePlugin).where(ForcePlugin.plugin_id == plugin_id)
        )
    return row


ADMIN_PLUGIN_HANDLERS = [plugins_page, plugin_page, plugin_submit]
