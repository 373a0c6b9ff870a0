"""Sharing a case's accepted exhibits with the CPS: the form, the case's shares, revocation.

Every page reads through a session scoped to the officer's force (another force's case and
share ids are 404) and every change goes through ``exhibit.sharing.service``, so the web
app shares, refuses and audits exactly as the JSON API does. The form only offers what the
service would accept; anything posted by hand is refused again by the service.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from litestar import Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission, may
from exhibit.cases.models import Case
from exhibit.db.base import utcnow
from exhibit.evidence.actions import disposals_awaited
from exhibit.evidence.models import Derivative, EvidenceItem, ReviewState
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.sharing.models import Share, ShareDelivery, ShareItem
from exhibit.sharing.service import (
    MAX_ITEMS,
    MIN_REASON_LENGTH,
    SHARED_COPY_KINDS,
    NewShare,
    ShareRefused,
    ShareUnavailable,
    check_shareable,
    create_share,
    disclosure_copy,
    find_share,
    revoke_share,
)
from exhibit.sharing.target import RecipientDirectory
from exhibit.sharing.targets import ForceTargets, force_can_share, force_targets
from exhibit.uploads.contacts import InvalidContact, normalise_email
from exhibit.web.officer.case_queries import find_case
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other

DEFAULT_DAYS = 28
MAX_DAYS = 366
TEXT_FIELDS = ("target", "recipient", "unit", "expires_in_days", "revoke_reason")


@dataclass(frozen=True)
class Candidate:
    """An accepted exhibit of the case: the copy it would be shared as, or why it cannot be."""

    item: EvidenceItem
    copy: str
    refusal: str


@dataclass(frozen=True)
class Target:
    """A share target the force may use, what it does, and the named units it offers."""

    key: str
    description: str
    units: dict[str, str]


@dataclass(frozen=True)
class Choices:
    """What the form offers for one case."""

    candidates: list[Candidate]
    targets: list[Target]

    @property
    def units(self) -> dict[str, str]:
        """Every named unit any target offers (name to address), for the unit list."""
        return {name: address for t in self.targets for name, address in t.units.items()}


@dataclass
class ShareForm:
    """What the officer chose and typed, to show again, and what was wrong with it."""

    values: dict[str, str]
    chosen: set[int] = field(default_factory=set)
    originals: set[int] = field(default_factory=set)
    reasons: dict[int, str] = field(default_factory=dict)
    allow_download: bool = False
    errors: list[FieldError] = field(default_factory=list)

    def error(self, name: str) -> str | None:
        """The message for field ``name``, if it has one."""
        return next((e.message for e in self.errors if e.field == name), None)


def blank_share_form(choices: Choices) -> ShareForm:
    """An empty form: the only target chosen if there is one, the default expiry."""
    values = dict.fromkeys(TEXT_FIELDS, "")
    values["expires_in_days"] = str(DEFAULT_DAYS)
    if len(choices.targets) == 1:
        values["target"] = choices.targets[0].key
    return ShareForm(values)


async def share_choices(
    session: AsyncSession, platform: Platform, force_id: int, case_id: int
) -> Choices:
    """The case's accepted exhibits and the force's share targets, in ``session``."""
    items = list(
        await session.scalars(
            select(EvidenceItem)
            .where(
                EvidenceItem.case_id == case_id,
                EvidenceItem.review_state == ReviewState.ACCEPTED,
                EvidenceItem.exhibit_reference.is_not(None),
            )
            .order_by(EvidenceItem.id)
            .limit(MAX_ITEMS)
        )
    )
    derivatives: dict[int, list[Derivative]] = {}
    if items:
        for derivative in await session.scalars(
            select(Derivative).where(
                Derivative.item_id.in_([i.id for i in items]),
                Derivative.kind.in_(SHARED_COPY_KINDS),
            )
        ):
            derivatives.setdefault(derivative.item_id, []).append(derivative)
    awaiting_disposal = await disposals_awaited(session, [i.id for i in items])
    candidates = []
    for item in items:
        try:
            check_shareable(item, disposal_pending=item.id in awaiting_disposal)
        except ShareRefused as exc:
            candidates.append(Candidate(item, "", str(exc)))
            continue
        copy = disclosure_copy(derivatives.get(item.id, []))
        candidates.append(Candidate(item, copy.kind if copy else "", ""))
    targets = await force_targets(session, platform, force_id)
    return Choices(candidates, [_describe(targets, key) for key in targets.offered])


def _describe(targets: ForceTargets, key: str) -> Target:
    built = targets.build(key)
    units = dict(built.named_recipients()) if isinstance(built, RecipientDirectory) else {}
    doc = (type(built).__doc__ or "").strip().splitlines()
    return Target(key, doc[0] if doc else "", units)


def read_share_form(
    form: FormMultiDict, choices: Choices, case_id: int
) -> tuple[ShareForm, NewShare | None]:
    """The form as sent, and the share to create if nothing is wrong with it."""
    values = {name: str(form.get(name, "")).strip()[:2000] for name in TEXT_FIELDS}
    state = ShareForm(values, allow_download=form.get("allow_download") == "yes")
    errors = state.errors
    by_id = {c.item.id: c for c in choices.candidates}
    for raw in form.getall("item", []):
        text = str(raw)
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            errors.append(FieldError("items", "Choose exhibits from the list"))
            continue
        state.chosen.add(int(text))
    for item_id in sorted(state.chosen):
        _check_item(state, by_id.get(item_id), item_id, form)
    if not state.chosen:
        errors.append(FieldError("items", "Choose at least one exhibit to share"))
    target = next((t for t in choices.targets if t.key == values["target"]), None)
    if not choices.targets:
        errors.append(FieldError("target", "No sharing plugin is enabled for this force"))
    elif target is None:
        errors.append(FieldError("target", "Choose how to share"))
    recipient = _recipient(values, target, errors)
    days = values["expires_in_days"]
    if not (days.isascii() and days.isdigit() and len(days) <= 3 and 1 <= int(days) <= MAX_DAYS):
        errors.append(FieldError("expires_in_days", f"Enter a number of days from 1 to {MAX_DAYS}"))
    if errors or target is None or recipient is None:
        return state, None
    ordered = [c.item.id for c in choices.candidates if c.item.id in state.chosen]
    return state, NewShare(
        case_id=case_id,
        item_ids=tuple(ordered),
        recipient=recipient,
        expires_at=utcnow() + timedelta(days=int(days)),
        target=target.key,
        allow_download=state.allow_download,
        originals={i: state.reasons[i] for i in ordered if i in state.originals},
    )


def _check_item(
    state: ShareForm, candidate: Candidate | None, item_id: int, form: FormMultiDict
) -> None:
    """Check one chosen item: shareable, and the original's choice has a reason."""
    if candidate is None:
        state.errors.append(FieldError("items", f"Item {item_id} is not an accepted exhibit here"))
        return
    if candidate.refusal:
        state.errors.append(
            FieldError("items", candidate.refusal[:1].upper() + candidate.refusal[1:])
        )
        return
    reference = candidate.item.exhibit_reference
    reason = str(form.get(f"reason-{item_id}", "")).strip()[:500]
    state.reasons[item_id] = reason
    if form.get(f"original-{item_id}") == "yes":
        state.originals.add(item_id)
        if len(reason) < MIN_REASON_LENGTH:
            state.errors.append(
                FieldError(
                    f"reason-{item_id}",
                    f"Say why the unredacted original of {reference} is needed "
                    f"(at least {MIN_REASON_LENGTH} characters)",
                )
            )
    elif not candidate.copy:
        state.errors.append(
            FieldError(
                f"original-{item_id}",
                f"{reference} has no redacted or disclosure copy yet: make one, or choose to "
                "share the original and say why",
            )
        )


def _recipient(
    values: dict[str, str], target: Target | None, errors: list[FieldError]
) -> str | None:
    email, unit = values["recipient"], values["unit"]
    if bool(email) == bool(unit):
        message = "Enter a prosecutor's email address or choose a CPS unit"
        errors.append(FieldError("recipient", message + (", not both" if email else "")))
        return None
    if unit:
        if target is not None and unit not in target.units:
            errors.append(FieldError("unit", f"Choose a unit that {target.key} offers"))
            return None
        return target.units[unit] if target is not None else None
    try:
        return normalise_email(email)
    except InvalidContact:
        errors.append(FieldError("recipient", "Enter a valid email address, like name@cps.gov.uk"))
        return None


@dataclass(frozen=True)
class SharedCopyRow:
    """One item of a share as the officer sees it."""

    item_id: int
    reference: str
    copy: str
    original_reason: str
    withheld: str = ""
    """Why the exhibit may no longer be given (marked sensitive since, say), if it may not."""


@dataclass(frozen=True)
class ShareRow:
    """A share, the copies it gives and where its delivery stands."""

    share: Share
    copies: list[SharedCopyRow]
    delivery: str

    @property
    def withheld(self) -> bool:
        """Whether an exhibit was withheld since, so that the recipient cannot open the share."""
        return any(c.withheld for c in self.copies)

    @property
    def state(self) -> str:
        """``revoked``, ``expired`` or ``live``."""
        if self.share.revoked_at is not None:
            return "revoked"
        return "expired" if self.share.expires_at <= utcnow() else "live"


async def share_rows(session: AsyncSession, shares: list[Share]) -> list[ShareRow]:
    """Each share with its items (reference and copy given) and delivery state."""
    ids = [s.id for s in shares]
    copies: dict[int, list[SharedCopyRow]] = {}
    deliveries: dict[int, str] = {}
    if ids:
        rows = await session.execute(
            select(ShareItem.share_id, EvidenceItem, Derivative.kind, ShareItem.original_reason)
            .join(EvidenceItem, EvidenceItem.id == ShareItem.item_id)
            .outerjoin(Derivative, Derivative.id == ShareItem.derivative_id)
            .where(ShareItem.share_id.in_(ids))
            .order_by(ShareItem.id)
        )
        for share_id, item, kind, reason in rows:
            reference = item.exhibit_reference or f"item {item.id}"
            copies.setdefault(share_id, []).append(
                SharedCopyRow(item.id, reference, kind or "original", reason, _withheld(item))
            )
        found = await session.execute(
            select(ShareDelivery.share_id, ShareDelivery.state).where(
                ShareDelivery.share_id.in_(ids)
            )
        )
        deliveries = {share_id: state.value for share_id, state in found}
    return [ShareRow(s, copies.get(s.id, []), deliveries.get(s.id, "")) for s in shares]


def _withheld(item: EvidenceItem) -> str:
    try:
        check_shareable(item, disposal_pending=False)
    except ShareRefused as refused:
        return str(refused)
    return ""


async def _one_share(session: AsyncSession, share_id: int) -> tuple[ShareRow, Case]:
    try:
        share = await find_share(session, share_id)
    except ShareUnavailable:
        raise NotFoundException(f"no share {share_id}") from None
    return (await share_rows(session, [share]))[0], await find_case(session, share.case_id)


def _form_page(
    request: AnyRequest, user: User, case: Case, choices: Choices, form: ShareForm
) -> Template:
    return page(
        request,
        "share_new.html",
        status_code=400 if form.errors else 200,
        user=user,
        case=case,
        choices=choices,
        form=form,
        min_reason=MIN_REASON_LENGTH,
        max_days=MAX_DAYS,
    )


@get(
    "/cases/{case_id:int}/shares/new",
    include_in_schema=False,
    opt={"permission": Permission.SHARE_EVIDENCE},
)
async def new_share_form(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Template:
    """The form to share the case's accepted exhibits with the CPS."""
    async with platform.force_session(user.force_id) as session:
        case = await find_case(session, case_id)
        choices = await share_choices(session, platform, user.force_id, case_id)
    return _form_page(request, user, case, choices, blank_share_form(choices))


@post(
    "/cases/{case_id:int}/shares/new",
    include_in_schema=False,
    opt={"permission": Permission.SHARE_EVIDENCE},
)
async def new_share_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any]:
    """Create the share through the sharing service; problems re-show the form."""
    sent = await request.form()
    async with platform.force_session(user.force_id) as session:
        case = await find_case(session, case_id)
        choices = await share_choices(session, platform, user.force_id, case_id)
    form, new = read_share_form(sent, choices, case_id)
    if new is not None:
        try:
            async with force_transaction(platform, user.force_id) as tx:
                targets = await force_targets(tx.session, platform, user.force_id)
                share = await create_share(
                    tx, new, targets=targets.offered, user_id=user.id, actor=f"user:{user.id}"
                )
                share_id = share.id
        except HTTPException:
            raise  # Litestar's HTTP exceptions are ValueErrors too: keep the 404
        except ShareRefused as exc:
            message = str(exc)
            form.errors.append(FieldError("share-form", message[:1].upper() + message[1:]))
        else:
            count = len(new.item_ids)
            flash(
                request, f"Shared {count} exhibit{'s' if count != 1 else ''} with {new.recipient}."
            )
            return see_other(f"/shares/{share_id}")
    return _form_page(request, user, case, choices, form)


@get(
    "/cases/{case_id:int}/shares",
    include_in_schema=False,
    opt={"permission": Permission.VIEW_CASES},
)
async def case_shares_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Template:
    """The shares made from a case, newest first, each with its state."""
    async with platform.force_session(user.force_id) as session:
        case = await find_case(session, case_id)
        shares = list(
            await session.scalars(
                select(Share).where(Share.case_id == case_id).order_by(Share.id.desc())
            )
        )
        rows = await share_rows(session, shares)
        offered = await force_can_share(session, platform, user.force_id)
    return page(
        request,
        "shares.html",
        user=user,
        case=case,
        rows=rows,
        can_share=may(user, Permission.SHARE_EVIDENCE),
        can_share_more=offered and may(user, Permission.SHARE_EVIDENCE),
    )


@get("/shares/{share_id:int}", include_in_schema=False, opt={"permission": Permission.VIEW_CASES})
async def share_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    share_id: FromPath[int],
) -> Template:
    """One share of the force: recipient, items and the copy of each, state; 404 otherwise."""
    async with platform.force_session(user.force_id) as session:
        row, case = await _one_share(session, share_id)
    return page(
        request,
        "share.html",
        user=user,
        case=case,
        row=row,
        can_share=may(user, Permission.SHARE_EVIDENCE),
    )


def _revoke_page(
    request: AnyRequest, user: User, case: Case, row: ShareRow, errors: list[FieldError]
) -> Template:
    return page(
        request,
        "share_revoke.html",
        status_code=400 if errors else 200,
        user=user,
        case=case,
        row=row,
        errors=errors,
    )


@get(
    "/shares/{share_id:int}/revoke",
    include_in_schema=False,
    opt={"permission": Permission.SHARE_EVIDENCE},
)
async def revoke_share_form(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    share_id: FromPath[int],
) -> Template:
    """Ask the officer to confirm the revocation and say why."""
    async with platform.force_session(user.force_id) as session:
        row, case = await _one_share(session, share_id)
    return _revoke_page(request, user, case, row, [])


@post(
    "/shares/{share_id:int}/revoke",
    include_in_schema=False,
    opt={"permission": Permission.SHARE_EVIDENCE},
)
async def revoke_share_submit(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    share_id: FromPath[int],
) -> Response[Any]:
    """Revoke the share at once; the recipient's next request is refused."""
    reason = str((await request.form()).get("reason", "")).strip()[:2000]
    async with platform.force_session(user.force_id) as session:
        row, case = await _one_share(session, share_id)
    if not reason:
        errors = [FieldError("reason", "Say why the share is revoked")]
        return _revoke_page(request, user, case, row, errors)
    try:
        async with force_transaction(platform, user.force_id) as tx:
            await revoke_share(tx.session, share_id, actor=f"user:{user.id}", reason=reason)
    except ShareUnavailable:
        raise NotFoundException(f"no share {share_id}") from None
    except ShareRefused as exc:
        flash(request, str(exc)[:1].upper() + str(exc)[1:], error=True)
        return see_other(f"/shares/{share_id}")
    flash(request, f"Share revoked. {row.share.recipient} can no longer see it.")
    return see_other(f"/cases/{case.id}/shares")


SHARE_HANDLERS = [
    new_share_form,
    new_share_submit,
    case_shares_page,
    share_page,
    revoke_share_form,
    revoke_share_submit,
]
"""Every sharing page, for the officer router."""
