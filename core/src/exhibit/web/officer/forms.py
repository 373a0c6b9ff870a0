"""Reading the evidence request form: every problem becomes a message next to its field.

Officers get GOV.UK-style messages that say how to put a field right; nothing they type
can turn into a server error.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import NamedTuple

from litestar.datastructures import FormMultiDict

from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.uk_time import UK_TIME
from exhibit.uploads.contacts import InvalidContact, normalise_email, normalise_mobile
from exhibit.uploads.requests import MAX_EXPIRY_DAYS, MAX_FILES, NewRequest
from exhibit.web.officer.pages import MB

CHANNELS = ("sms", "email")
TEXT_FIELDS = (
    "recipient_name",
    "phone",
    "email",
    "message",
    "incident_date",
    "incident_time",
    "incident_place",
    "max_files",
    "max_file_mb",
    "expires_in_days",
)
MAX_FILE_MB = 1_000_000  # 1 TB, the service's own ceiling
# No example phone number: the ones Ofcom sets aside for drama (07700 900xxx) fail the check.
INVALID_CONTACT = {
    "phone": "Enter a valid mobile number: a UK mobile starting with 07, "
    "or an international number starting with +",
    "email": "Enter a valid email address, like name@example.com",
}


class FieldError(NamedTuple):
    """A problem with one field (``field`` is its id, for the error summary's link)."""

    field: str
    message: str


@dataclass
class RequestForm:
    """What the officer typed, to show again, and what was wrong with it."""

    values: dict[str, str]
    channels: list[str]
    errors: list[FieldError] = field(default_factory=list)

    def error(self, name: str) -> str | None:
        """The message for field ``name``, if it has one."""
        return next((e.message for e in self.errors if e.field == name), None)


def blank_request_form(force: Force) -> RequestForm:
    """An empty form with the force's default limits filled in."""
    values = dict.fromkeys(TEXT_FIELDS, "")
    values["max_files"] = str(force.default_max_files)
    values["max_file_mb"] = str(force.default_max_file_bytes // MB)
    values["expires_in_days"] = str(force.default_expiry_days)
    return RequestForm(values, ["sms"])


def read_request_form(form: FormMultiDict) -> tuple[RequestForm, NewRequest | None]:
    """The form as typed, and the request to create if nothing is wrong with it."""
    values = {name: str(form.get(name, "")).strip() for name in TEXT_FIELDS}
    state = RequestForm(values, [c for c in CHANNELS if c in form.getall("channels", [])])
    errors = state.errors
    # Fields are checked in the order the page shows them, so the error summary reads the same.
    if not values["recipient_name"]:
        errors.append(FieldError("recipient_name", "Enter the witness's name"))
    if not state.channels:
        errors.append(FieldError("channels", "Choose text message, email or both"))
    phone = _contact(values["phone"], "sms" in state.channels, "phone", errors)
    email = _contact(values["email"], "email" in state.channels, "email", errors)
    incident_at = _incident_at(values["incident_date"], values["incident_time"], errors)
    days = _number(values, "expires_in_days", "number of days", MAX_EXPIRY_DAYS, errors)
    max_files = _number(values, "max_files", "number of files", MAX_FILES, errors)
    max_mb = _number(values, "max_file_mb", "file size in MB", MAX_FILE_MB, errors)
    if errors:
        return state, None
    return state, NewRequest(
        recipient_name=values["recipient_name"],
        channels=tuple(state.channels),
        phone=phone,
        email=email,
        message=values["message"],
        incident_at=incident_at,
        incident_place=values["incident_place"],
        max_files=max_files,
        max_file_bytes=max_mb * MB if max_mb is not None else None,
        expires_in_days=days,
    )


def _contact(value: str, needed: bool, name: str, errors: list[FieldError]) -> str | None:
    what = "mobile number" if name == "phone" else "email address"
    # A channel left unticked hides its field on the page: what it holds is not used.
    if not needed:
        return None
    if not value:
        errors.append(FieldError(name, f"Enter a {what} to send the link to"))
        return None
    try:
        return normalise_mobile(value) if name == "phone" else normalise_email(value)
    except InvalidContact:
        errors.append(FieldError(name, INVALID_CONTACT[name]))
        return None


def _incident_at(day: str, at: str, errors: list[FieldError]) -> datetime | None:
    if not day and not at:
        return None
    try:
        moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(at))
    except ValueError:
        errors.append(FieldError("incident_date", "Enter the date and time of the incident"))
        return None
    local = moment.replace(tzinfo=UK_TIME)
    if local > utcnow():
        errors.append(FieldError("incident_date", "The incident must be in the past"))
        return None
    return local


def _number(
    values: dict[str, str], name: str, what: str, high: int, errors: list[FieldError]
) -> int | None:
    value = values[name]
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 9 and 1 <= int(value) <= high):
        errors.append(FieldError(name, f"Enter a {what} from 1 to {high:,}"))
        return None
    return int(value)
