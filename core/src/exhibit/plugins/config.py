"""Per-force plugin configuration: strict validation, and secrets kept out of plain text.

A configuration arrives as JSON-like data (from the admin form, the API or the CLI). Each
``Secret`` field may be given as ``{"value": "..."}`` (encrypted before it is stored),
``{"env": "VARIABLE"}`` (a reference, read when used) or, when an unchanged form is saved
again, its stored ``{"encrypted": "..."}`` form.
"""

import math
import os
import re
from typing import Any

import msgspec

from exhibit.secrets import Secret, SecretBox, SecretUnavailable

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class InvalidPluginConfig(ValueError):
    """A force's configuration for a plugin does not fit the plugin's Struct.

    The message names the plugin and the field path (``$.field``).
    """


def check_config_type(plugin_id: str, config_type: object) -> type[msgspec.Struct]:
    """Ensure a plugin's declared configuration is a Struct that forbids unknown fields."""
    if not (isinstance(config_type, type) and issubclass(config_type, msgspec.Struct)):
        raise InvalidPluginConfig(
            f"plugin {plugin_id!r}: exhibit_plugin_config must return a msgspec.Struct class"
        )
    if not config_type.__struct_config__.forbid_unknown_fields:
        raise InvalidPluginConfig(
            f"plugin {plugin_id!r}: {config_type.__name__} must be declared with "
            "forbid_unknown_fields=True so that a misspelt setting is refused"
        )
    return config_type


def env_prefix(force_slug: str) -> str:
    """What every environment reference in force ``force_slug``'s settings must start with.

    Settings are written by the force's administrators, while the process environment holds
    the deployment's own secrets and every force's. A reference may only name a variable the
    operator set aside for that force: ``EXHIBIT_FORCE_<SLUG>_...``.
    """
    return "EXHIBIT_FORCE_" + re.sub(r"[^A-Z0-9]", "_", force_slug.upper()) + "_"


def load_config(
    plugin_id: str,
    config_type: type[msgspec.Struct],
    raw: Any,
    box: SecretBox,
    *,
    force_slug: str,
) -> msgspec.Struct:
    """Convert force ``force_slug``'s raw configuration to the plugin's Struct, strictly.

    Secrets become ``Secret``; an environment reference must carry the force's prefix
    (``env_prefix``).
    """
    prefix = env_prefix(force_slug)
    _check_finite(plugin_id, raw, "$")

    def dec_hook(target: type, value: Any) -> Any:
        if target is Secret:
            return _secret_from(value, box, prefix)
        raise NotImplementedError(f"unsupported configuration type {target!r}")

    try:
        return msgspec.convert(raw, type=config_type, strict=True, dec_hook=dec_hook)
    except msgspec.ValidationError as exc:
        raise InvalidPluginConfig(f"plugin {plugin_id!r}: {exc}") from None


def stored_config(config: msgspec.Struct) -> dict[str, Any]:
    """The JSON-ready form of a validated configuration, with every secret in stored form."""

    def enc_hook(value: Any) -> Any:
        if isinstance(value, Secret):
            return value.stored_form()
        raise NotImplementedError(f"cannot store {type(value).__name__} in a configuration")

    stored = msgspec.to_builtins(config, enc_hook=enc_hook)
    assert isinstance(stored, dict)
    return stored


def unset_variables(config: msgspec.Struct) -> list[str]:
    """The environment variables ``config``'s secrets refer to that this process lacks.

    Such settings are valid (the variable may be set where the plugin runs), but nothing
    can be sent or stored with them until the operator sets it: the admin page says so.
    """
    names: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, Secret):
            name = value.stored_form().get("env")
            if name is not None and not os.environ.get(name):
                names.append(name)
        elif isinstance(value, msgspec.Struct):
            for field in value.__struct_fields__:
                walk(getattr(value, field))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(config)
    return sorted(set(names))


def _check_finite(plugin_id: str, raw: Any, path: str) -> None:
    """Refuse NaN and infinity, which no setting means and PostgreSQL's JSON cannot store."""
    if isinstance(raw, float) and not math.isfinite(raw):
        raise InvalidPluginConfig(f"plugin {plugin_id!r}: Expected a finite number - at `{path}`")
    if isinstance(raw, dict):
        for key, value in raw.items():
            _check_finite(plugin_id, value, f"{path}.{key}")
    elif isinstance(raw, list):
        for index, value in enumerate(raw):
            _check_finite(plugin_id, value, f"{path}[{index}]")


def _secret_from(value: Any, box: SecretBox, prefix: str) -> Secret:
    if isinstance(value, dict) and len(value) == 1:
        ((form, content),) = value.items()
        if isinstance(content, str) and content:
            if form == "value":
                return Secret.from_value(content, box)
            if form == "encrypted":
                try:
                    box.decrypt(content)  # refuse ciphertext this deployment cannot read
                except SecretUnavailable as exc:
                    raise ValueError(str(exc)) from None
                return Secret(ciphertext=content, box=box)
            if form == "env":
                if not _ENV_NAME.match(content):
                    raise ValueError(f"{content!r} is not an environment variable name")
                if not content.startswith(prefix):
                    raise ValueError(f"an environment reference must start with {prefix}")
                return Secret.from_env(content)
    raise ValueError('a secret is given as {"value": ...} or {"env": "VARIABLE"}')
