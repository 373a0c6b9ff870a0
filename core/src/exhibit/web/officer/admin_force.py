"""``/admin/force``: the force's own settings.

What witnesses are shown (contact details and privacy notice, each in English and in Welsh,
and whether the pages are offered in Welsh), the defaults of a new evidence request, when
witnesses get a reminder and how long their contact details are kept, how exhibits are
numbered and declined material kept, whether disposal needs a second person, and whether
everyone signs in with two-factor. A change is audited with the names of the fields that
changed.
"""

from dataclasses import dataclass, field
from typing import Any

from litestar import Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.response import Template

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.audit import log as audit
from exhibit.evidence.references import BadReferenceFormat, check_format
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.uploads.requests import MAX_EXPIRY_DAYS, MAX_FILES
from exhibit.web.officer.forms import MAX_FILE_MB, FieldError
from exhibit.web.officer.pages import MB, AnyRequest, flash, page, see_other

ADMIN = {"permission": Permission.ADMINISTER_FORCE}
TEXTS = {
    "name_cy": 200,
    "contact_details": 1000,
    "contact_details_cy": 1000,
    "privacy_notice": 20_000,
    "privacy_notice_cy": 20_000,
    "exhibit_reference_format": 64,
}
# Each number: what it counts, and its lowest and highest value.
NUMBERS = {
    "default_max_files": ("number of files", 1, MAX_FILES),
    "default_max_file_mb": ("file size in MB", 1, MAX_FILE_MB),
    "default_expiry_days": ("number of days", 1, MAX_EXPIRY_DAYS),
    "declined_retention_days": ("number of days", 1, 3650),
    "contact_purge_days": ("number of days", 1, 365),
    "reminder_hours_before": ("number of hours", 0, 168),
}
SWITCHES = ("welsh_enabled", "disposal_needs_approval", "two_factor_required")


@dataclass
class SettingsForm:
    """The settings as typed, and what was wrong with them."""

    values: dict[str, str]
    switches: dict[str, bool]
    errors: list[FieldError] = field(default_factory=list)

    def error(self, name: str) -> str | None:
        """The message for field ``name``, if it has one."""
        return next((e.message for e in self.errors if e.field == name), None)


def _form_of(force: Force) -> SettingsForm:
    values = {name: getattr(force, name) for name in TEXTS}
    values["default_max_files"] = str(force.default_max_files)
    values["default_max_file_mb"] = str(force.default_max_file_bytes // MB)
    values["default_expiry_days"] = str(force.default_expiry_days)
    values["declined_retention_days"] = str(force.declined_retention_days)
    values["contact_purge_days"] = str(force.contact_purge_days)
    values["reminder_hours_before"] = str(force.reminder_hours_before)
    return SettingsForm(values, {name: bool(getattr(force, name)) for name in SWITCHES})


def read_settings(form: FormMultiDict) -> tuple[SettingsForm, dict[str, Any]]:
    """The form as typed, and the new column values if nothing is wrong with it."""
    values = {name: str(form.get(name, "")).strip() for name in (*TEXTS, *NUMBERS)}
    state = SettingsForm(values, {name: form.get(name) == "yes" for name in SWITCHES})
    changes: dict[str, Any] = {}
    for name, limit in TEXTS.items():
        if len(values[name]) > limit:
            state.errors.append(FieldError(name, f"Use {limit:,} characters or fewer"))
        changes[name] = values[name]
    try:
        check_format(values["exhibit_reference_format"])
    except BadReferenceFormat as exc:
        state.errors.append(FieldError("exhibit_reference_format", str(exc).capitalize()))
    for name, (what, low, high) in NUMBERS.items():
        value = values[name]
        if not (
            value.isascii() and value.isdigit() and len(value) <= 9 and low <= int(value) <= high
        ):
            state.errors.append(FieldError(name, f"Enter a {what} from {low} to {high:,}"))
            continue
        if name == "default_max_file_mb":
            changes["default_max_file_bytes"] = int(value) * MB
        else:
            changes[name] = int(value)
    changes.update(state.switches)
    return state, changes


@get("/admin/force", include_in_schema=False, opt=ADMIN)
async def force_settings_page(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """The force's settings as a form."""
    async with platform.force_session(user.force_id) as session:
        force = await session.get(Force, user.force_id)
        assert force is not None
    return page(request, "admin_force.html", user=user, force=force, form=_form_of(force))


@post("/admin/force", include_in_schema=False, opt=ADMIN)
async def force_settings_submit(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Response[Any]:
    """Save the settings; problems re-show the form and change nothing."""
    form, changes = read_settings(await request.form())
    async with force_transaction(platform, user.force_id) as tx:
        force = await tx.session.get(Force, user.force_id)
        assert force is not None
        if form.errors:
            return page(
                request, "admin_force.html", status_code=400, user=user, force=force, form=form
            )
        changed = sorted(k for k, v in changes.items() if getattr(force, k) != v)
        for name in changed:
            setattr(force, name, changes[name])
        if changed:
            await audit.record(
                tx.session,
                user.force_id,
                actor=f"user:{user.id}",
                action="force.settings_changed",
                object_type="force",
                object_id=user.force_id,
                details={"changed_fields": changed},
            )
    flash(request, "The force's settings were saved." if changed else "Nothing was changed.")
    return see_other("/admin/force")


ADMIN_FORCE_HANDLERS = [force_settings_page, force_settings_submit]
