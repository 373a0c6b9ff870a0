"""``/admin/plugins``: the installed plugins, and a form per plugin generated from its config
Struct.

Simple fields (text, numbers, yes/no, a choice) get their own input; anything nested (a
Struct, a list, a map) is edited as JSON. ``Secret`` fields are write-only: the form shows
whether one is stored, never its value; leaving the box empty keeps it, ``env:NAME`` reads
it from the environment. Nested secrets appear as ``{"encrypted": "********"}`` and are kept
when saved back unchanged. Saving goes through ``configure_plugin``'s strict validation, and
its error is shown next to the field it names, in words (never a ``$.path``).

Every field has a label in words and a hint: a plugin may give both with
``Annotated[..., msgspec.Meta(title=..., description=...)]``; otherwise they come from the
field's name, type, limits and default. A secret read from an environment variable this
process lacks is saved with a warning, since the plugin cannot use it until it is set.

A plugin that offers a check (``exhibit_check_settings``) gets a Check button, which tries
the stored settings against the plugin's service and lists what is wrong in its words.
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
from exhibit.forces.models import Force, ForcePlugin
from exhibit.forces.plugin_checks import check_plugin, checkable
from exhibit.forces.plugin_settings import (
    configure_plugin,
    set_plugin_enabled,
    unset_secret_variables,
)
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig, env_prefix
from exhibit.secrets import Secret
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other

ADMIN = {"permission": Permission.ADMINISTER_FORCE}
MASK = "********"
NOT_SET = "Not set"
REMOVE = "__remove"  # suffix of the box that removes a stored optional secret
_PATH = re.compile(r"`\$\.([A-Za-z0-9_]+)")
_MISSING = re.compile(r"missing required field `([A-Za-z0-9_]+)`")
_AT = re.compile(r"^(?P<reason>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_KINDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "object": "a JSON object",
    "array": "a JSON list",
    "null": "null",
}
_LIMITS = (
    (re.compile(r"^Expected `\w+` >= (.+)$"), "must be {} or more"),
    (re.compile(r"^Expected `\w+` <= (.+)$"), "must be {} or less"),
    (re.compile(r"^Expected `\w+` > (.+)$"), "must be more than {}"),
    (re.compile(r"^Expected `\w+` < (.+)$"), "must be less than {}"),
    (re.compile(r"^Expected `str` of length >= (\d+)$"), "must be at least {} characters"),
    (re.compile(r"^Expected `str` of length <= (\d+)$"), "must be at most {} characters"),
    (re.compile(r"^Expected `\w+` matching regex "), "is not in the form the hint describes"),
    (re.compile(r"^Object missing required field `(\w+)`$"), "needs {}"),
    (re.compile(r"^Object contains unknown field `(\w+)`$"), "has no setting called {}"),
    (re.compile(r"^Invalid enum value (.+)$"), "cannot be {}"),
    (re.compile(r"^Expected a finite number$"), "must be a number (not NaN or infinity)"),
)
_TYPE = re.compile(r"^Expected `([^`]+)`, got `(\w+)`$")


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
    label: str = ""
    hint: str = ""
    remove: bool = False  # the box to remove the stored (optional) secret was ticked

    @property
    def removable(self) -> bool:
        """Whether a stored secret in this field may be removed (it is optional)."""
        return self.kind == "secret" and not self.required and self.secret_state != NOT_SET


@dataclass
class PluginForm:
    """A plugin's form: its fields with what is stored or was typed, and any errors."""

    plugin_id: str
    enabled: bool
    fields: list[PluginField]
    errors: list[FieldError] = field(default_factory=list)
    about: str = ""
    env_prefix: str = "EXHIBIT_FORCE_<FORCE>_"
    stored_enabled: bool = False  # enabled as saved (``enabled`` is what the form says)
    checkable: bool = False  # settings are stored and the plugin offers a check
    problems: list[str] | None = None  # what the check found, once it has run

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


def about(config_type: type[msgspec.Struct] | None) -> str:
    """The config Struct's docstring, as the page's introduction (code marks removed)."""
    doc = (config_type.__doc__ or "") if config_type is not None else ""
    return " ".join(doc.replace("``", "").split())


def _field(f: mi.Field) -> PluginField:
    kind_type, nullable = f.type, False
    meta: dict[str, Any] = {}
    while isinstance(kind_type, mi.Metadata):
        meta = {**(kind_type.extra_json_schema or {}), **meta}
        kind_type = kind_type.type
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
    label = str(meta.get("title") or f.name.replace("_", " ").capitalize())
    hint = " ".join(
        part
        for part in (str(meta.get("description", "")), _type_hint(kind, kind_type), _default(f))
        if part
    )
    return PluginField(f.name, kind, f.required, nullable, choices, label=label, hint=hint)


def _range(t: mi.IntType | mi.FloatType) -> str:
    low = high = ""
    if t.ge is not None or t.gt is not None:
        low = f"at least {t.ge}" if t.ge is not None else f"more than {t.gt}"
    if t.le is not None or t.lt is not None:
        high = f"at most {t.le}" if t.le is not None else f"less than {t.lt}"
    return " and ".join(part for part in (low, high) if part)


def _type_hint(kind: str, t: mi.Type) -> str:
    """What the field takes, from its type: kind of value, limits, or a JSON outline."""
    if isinstance(t, mi.IntType | mi.FloatType):
        limits = _range(t)
        what = "A whole number" if isinstance(t, mi.IntType) else "A number"
        return f"{what}{', ' + limits if limits else ''}."
    if isinstance(t, mi.StrType) and (t.min_length or t.max_length):
        return f"Text of {t.min_length or 0} to {t.max_length or 'any number of'} characters."
    if kind == "json":
        return f"JSON: {_outline(t)}."
    return ""


def _outline(t: mi.Type, depth: int = 0) -> str:
    """A short outline of the JSON a nested field takes."""
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.UnionType):
        options = [o for o in t.types if not isinstance(o, mi.NoneType)]
        return " or ".join(_outline(o, depth) for o in options)
    if isinstance(t, mi.StructType):
        tag = f'"{t.tag_field}": "{t.tag}", ' if t.tag_field and t.tag is not None else ""
        names = [f"{f.name}{'' if f.required else ' (optional)'}" for f in t.fields]
        if depth > 1:
            return "an object"
        return "{" + tag + ", ".join(names) + "}"
    if isinstance(t, mi.DictType):
        return "an object of names to " + _outline(t.value_type, depth + 1)
    if isinstance(t, mi.ListType | mi.TupleType | mi.VarTupleType | mi.SetType):
        return "a list"
    if isinstance(t, mi.CustomType) and t.cls is Secret:
        return 'a secret, {"value": "..."} or {"env": "NAME"}'
    return {"StrType": "text", "IntType": "a whole number", "FloatType": "a number"}.get(
        type(t).__name__, "a value"
    )


def _default(f: mi.Field) -> str:
    if f.required or f.default is msgspec.NODEFAULT or isinstance(f.default, bool):
        return "Optional." if not f.required and f.default is msgspec.NODEFAULT else ""
    if f.default in (None, "") or isinstance(f.default, dict | list):
        return "Optional."
    return f"Leave empty for the default, {f.default}."


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
    return NOT_SET


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
            f.remove = f.removable and form.get(f.name + REMOVE) == "yes"
            if f.remove and typed:
                both = f"Either type a new {f.label.lower()} or remove it, not both"
                state.errors.append(FieldError(f.name, both))
            elif f.remove:
                raw[f.name] = None
            elif typed.startswith("env:"):
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
                state.errors.append(FieldError(f.name, f"Enter {f.label.lower()}"))
        elif f.kind in ("integer", "number"):
            try:
                raw[f.name] = int(typed) if f.kind == "integer" else float(typed)
            except ValueError:
                what = "a whole number" if f.kind == "integer" else "a number"
                state.errors.append(FieldError(f.name, f"{f.label} must be {what}"))
        elif f.kind == "json":
            try:
                raw[f.name] = _unmasked(json.loads(typed), stored.get(f.name))
            except ValueError:
                state.errors.append(FieldError(f.name, f"Enter {f.label.lower()} as valid JSON"))
            except RecursionError:
                state.errors.append(FieldError(f.name, f"{f.label} is nested too deeply"))
        else:
            raw[f.name] = typed
    return state, raw


def _error_field(message: str, fields: list[PluginField]) -> str:
    names = {f.name for f in fields}
    for pattern in (_PATH, _MISSING):
        found = pattern.search(message)
        if found and found.group(1) in names:
            return found.group(1)
    words = re.findall(r"[A-Za-z0-9_]+", message)  # "prefix must end with ...", "give both x"
    return next((word for word in words if word in names), "plugin-form")


def plain_error(message: str, fields: list[PluginField]) -> FieldError:
    """``configure_plugin``'s message as a field and words an administrator understands.

    msgspec says ``Expected `int` <= 10 - at `$.max_segments```; the page says "Max segments
    must be 10 or less". A plugin's own message (from ``__post_init__``) is kept as it is,
    after the field it concerns.
    """
    found = _AT.match(message)
    assert found is not None  # the pattern matches any text
    reason, path = found.group("reason"), found.group("path") or ""
    name = _error_field(message, fields)
    labels = {f.name: f.label for f in fields}
    if not path:
        missing = _MISSING.search(reason)
        if missing and missing.group(1) in labels:
            return FieldError(name, f"Enter {labels[missing.group(1)].lower()}")
        if name in labels and reason.startswith((name + " ", name + ":")):  # "prefix must ..."
            reason = labels[name] + reason[len(name) :]
        words = _reason(reason)
        return FieldError(name, reason if words is None else f"{labels.get(name, '')} {words}")
    top, _, rest = path.lstrip(".").partition(".")
    top, _, index = top.partition("[")
    rest = re.sub(r"\[[^]]*\]", " (each entry)", (f"[{index}" if index else "") + rest)
    subject = labels.get(top, top) + (f": {rest.replace('.', ' ').strip()}" if rest else "")
    words = _reason(reason)
    return FieldError(name, f"{subject}: {reason}" if words is None else f"{subject} {words}")


def _reason(reason: str) -> str | None:
    for pattern, words in _LIMITS:
        found = pattern.match(reason)
        if found:
            return words.format(*found.groups())
    found = _TYPE.match(reason)
    if found:
        wanted = " or ".join(_KINDS.get(k.strip(), k.strip()) for k in found.group(1).split("|"))
        return f"must be {wanted}, not {_KINDS.get(found.group(2), found.group(2))}"
    return None


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
            "summary": p.summary,
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
    form = await _stored_form(platform, user.force_id, plugin_id)
    return _plugin_page(request, platform, user, form)


@post("/admin/plugins/{plugin_id:str}/check", include_in_schema=False, opt=ADMIN)
async def plugin_check(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    plugin_id: FromPath[str],
) -> Template:
    """Try the stored settings against the plugin's service; show what is wrong, if anything."""
    form = await _stored_form(platform, user.force_id, plugin_id)
    if not form.checkable:
        raise NotFoundException(f"no settings of {plugin_id} to check")
    form.problems = await check_plugin(platform, user.force_id, plugin_id)
    return _plugin_page(request, platform, user, form)


def _plugin_page(request: AnyRequest, platform: Platform, user: User, form: PluginForm) -> Template:
    """The plugin's page with ``form``: a 400 when the form has errors."""
    return page(
        request,
        "admin_plugin.html",
        status_code=400 if form.errors else 200,
        user=user,
        form=form,
        summary=platform.plugins.installed[form.plugin_id].summary,
    )


async def _stored_form(platform: Platform, force_id: int, plugin_id: str) -> PluginForm:
    """The plugin's form showing what the force has stored."""
    fields = _fields(platform, plugin_id)
    row = await _row(platform, force_id, plugin_id)
    stored = row.config if row is not None else {}
    enabled = row is not None and row.enabled
    form = PluginForm(plugin_id, enabled, fill(fields, stored), stored_enabled=enabled)
    form.checkable = row is not None and checkable(platform.plugins, plugin_id)
    await _describe_form(platform, force_id, form)
    return form


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
    form.stored_enabled = row is not None and row.enabled
    slug = await _describe_form(platform, user.force_id, form)
    unset: list[str] = []
    if not form.errors:
        try:
            async with force_transaction(platform, user.force_id) as tx:
                saved = await configure_plugin(
                    tx.session,
                    platform.plugins,
                    platform.secret_box,
                    user.force_id,
                    plugin_id,
                    enabled=form.enabled,
                    config=raw if platform.plugins.config_types.get(plugin_id) else {},
                    actor=f"user:{user.id}",
                )
            unset = unset_secret_variables(platform.plugins, platform.secret_box, saved, slug)
        except InvalidPluginConfig as exc:
            form.errors.append(plain_error(str(exc).split(": ", 1)[-1], fields))
    if form.errors:
        return _plugin_page(request, platform, user, form)
    done = f"{plugin_id} is {'enabled' if form.enabled else 'disabled'}; settings saved."
    if unset:
        flash(
            request,
            f"{done} But {_variables(unset)} not set here, so {plugin_id} cannot read "
            f"{'that secret' if len(unset) == 1 else 'those secrets'}: ask the operator to set "
            f"{'it' if len(unset) == 1 else 'them'}"
            f"{' before the plugin is used' if form.enabled else ''}.",
            error=True,
        )
    else:
        flash(request, done)
    return see_other(f"/admin/plugins/{plugin_id}")


@post("/admin/plugins/{plugin_id:str}/turn-off", include_in_schema=False, opt=ADMIN)
async def plugin_turn_off(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    plugin_id: FromPath[str],
) -> Response[Any]:
    """Disable the plugin keeping its stored settings as they are, audited: it needs none to
    be valid (stored settings that no longer fit a newer plugin cannot block turning it off).
    """
    _fields(platform, plugin_id)
    async with force_transaction(platform, user.force_id) as tx:
        await set_plugin_enabled(
            tx.session,
            platform.plugins,
            platform.secret_box,
            user.force_id,
            plugin_id,
            enabled=False,
            actor=f"user:{user.id}",
        )
    flash(request, f"{plugin_id} is disabled; its settings are kept.")
    return see_other(f"/admin/plugins/{plugin_id}")


def _variables(names: list[str]) -> str:
    if len(names) == 1:
        return f"the environment variable {names[0]} is"
    return f"the environment variables {', '.join(names)} are"


async def _describe_form(platform: Platform, force_id: int, form: PluginForm) -> str:
    """Give the form its introduction and the force's environment prefix; the force's slug."""
    async with platform.system_session() as session:
        slug = await session.scalar(select(Force.slug).where(Force.id == force_id))
    assert slug is not None
    form.about = about(platform.plugins.config_types.get(form.plugin_id))
    form.env_prefix = env_prefix(slug)
    return slug


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


ADMIN_PLUGIN_HANDLERS = [plugins_page, plugin_page, plugin_check, plugin_submit, plugin_turn_off]
