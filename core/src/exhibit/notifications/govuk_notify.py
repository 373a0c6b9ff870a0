"""GOV.UK Notify for notifier plugins: the form of an API key, and a client built from one.

A Notify API key is ``name-serviceid-secret``: the key's name, then the service id and the
secret, each a UUID, joined by hyphens. The official client takes the two UUIDs from the
end of the key and merely asserts that they are there, so a malformed key would fail every
message with an ``AssertionError`` (or, under ``python -O``, be sent and refused). Instead,
``check_api_key`` refuses such a key when a force saves its settings (call it from the
settings Struct's ``__post_init__``), and ``notify_client`` turns a key that still cannot
be used (an environment reference read when sending) into a permanent ``DeliveryFailed``.

The official client is imported when a client is built, not when a plugin loads. The plugin
that calls these depends on ``notifications-python-client``; the core does not.
"""

import re
import uuid
from typing import Any

from exhibit.notifications.notifier import DeliveryFailed
from exhibit.notifications.provider_http import error_list_reason
from exhibit.secrets import Secret, SecretUnavailable

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_API_KEY = re.compile(rf"\S+-{_UUID}-{_UUID}")
API_KEY_FORM = (
    "name-serviceid-secret: the key's name, then the service id and the secret, each a UUID "
    "(8-4-4-4-12 hexadecimal digits), joined by hyphens; copy the whole key as Notify "
    "showed it when it was created"
)
"""What a Notify API key looks like, for messages about one that does not (never the key)."""


def is_api_key(value: str) -> bool:
    """True if ``value`` has the form of a Notify API key (``name-serviceid-secret``)."""
    return _API_KEY.fullmatch(value) is not None


def check_api_key(api_key: Secret) -> None:
    """Raise ``ValueError`` (without the key) unless ``api_key`` has a Notify key's form.

    A key given by value is checked now; an environment reference is read only when a
    message is sent, and ``notify_client`` checks it then.
    """
    if "env" in api_key.stored_form():
        return
    if not is_api_key(api_key.reveal()):
        raise ValueError(f"api_key is not a GOV.UK Notify API key, which looks like {API_KEY_FORM}")


def notify_client(api_key: Secret, base_url: str, timeout: float) -> Any:
    """The official ``NotificationsAPIClient`` for ``api_key``.

    Raises a permanent ``DeliveryFailed`` when the key cannot be read or has not the form
    of a Notify key: no retry can make such a key work, only the force's administrator.
    """
    # Imported when sending, not at start-up; the official client has no type hints.
    from notifications_python_client.notifications import NotificationsAPIClient

    try:
        key = api_key.reveal()
    except SecretUnavailable as exc:
        raise DeliveryFailed(
            f"the GOV.UK Notify API key cannot be read: {exc}", permanent=True
        ) from None
    if not is_api_key(key):
        reason = f"the GOV.UK Notify api_key is not a Notify key, which looks like {API_KEY_FORM}"
        raise DeliveryFailed(reason, permanent=True)
    new_client: Any = NotificationsAPIClient
    try:
        return new_client(key, base_url=base_url, timeout=timeout)
    except (AssertionError, ValueError) as exc:  # the client asserts on the key and base URL
        reason = f"the GOV.UK Notify client cannot be built from the force's settings: {exc}"
        raise DeliveryFailed(reason, permanent=True) from None


def fetch_template(
    api_key: Secret, base_url: str, template_id: str, timeout: float
) -> dict[str, Any] | str:
    """Notify's template ``template_id`` as the key's service sees it, or what stops that,
    in words an administrator can act on (a settings check: nothing is sent)."""
    from notifications_python_client.errors import APIError

    try:
        uuid.UUID(template_id)
    except ValueError:
        return (
            f"template_id {template_id!r} is not a Notify template id (a UUID): copy it from "
            "the template's page in Notify"
        )
    try:
        template: dict[str, Any] = notify_client(api_key, base_url, timeout).get_template(
            template_id
        )
    except DeliveryFailed as failed:
        return failed.reason
    except APIError as error:
        if error.response is None:
            return f"GOV.UK Notify did not answer at {base_url}: check base_url"
        status, reason = error.status_code, error_list_reason(error.message)
        if status == 403:
            return (
                f"GOV.UK Notify refused the API key (403: {reason}): check api_key (a live key "
                "of the force's service, copied whole)"
            )
        if status in (400, 404):
            return (
                f"GOV.UK Notify has no template {template_id} in the key's service ({status}: "
                f"{reason}): correct template_id"
            )
        return f"GOV.UK Notify answered {status}: {reason}"
    return template


def template_problems(template_id: str, template: dict[str, Any], kind: str) -> list[str]:
    """What makes a fetched template unfit: another ``kind`` (``email``, ``sms``), or a
    missing ``((body))`` (and, for email, ``((subject))``) for the force's words."""
    if template.get("type") != kind:
        wanted = "an email" if kind == "email" else "a text message"
        return [
            f"GOV.UK Notify template {template_id} is a {template.get('type')} template, not "
            f"{wanted} one: correct template_id"
        ]
    fields = (("subject", "subject"), ("body", "body")) if kind == "email" else (("body", "body"),)
    missing = [
        f"(({name})) in its {part}"
        for name, part in fields
        if not re.search(rf"\(\(\s*{name}\s*\)\)", str(template.get(part) or ""), re.I)
    ]
    if missing:
        return [
            f"GOV.UK Notify template {template_id} lacks {' and '.join(missing)}: the force's "
            "words would not reach the witness; edit the template in Notify"
        ]
    return []
