"""``/items/{id}``: one item's page (viewing it is audited) and the reviewing officer's actions.

Each action is one unit of work: the change and its audit event commit together, and a
refusal (no reason, wrong state) changes nothing and says why on the page it came from.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission, may
from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.evidence import quarantine, review
from exhibit.evidence.models import Category, EvidenceItem
from exhibit.forces.transaction import ForceTransaction, force_transaction
from exhibit.media.pipeline import process_again
from exhibit.platform import Platform
from exhibit.sharing.service import unrevoked_shares
from exhibit.web.officer.bulk_form import BULK_ACTIONS, BulkChoice
from exhibit.web.officer.cases import show_case
from exhibit.web.officer.form_values import whole_number
from exhibit.web.officer.forms import FieldError
from exhibit.web.officer.item_neighbours import next_waiting
from exhibit.web.officer.item_queries import find_item, item_view
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other

Action = Callable[[ForceTransaction, EvidenceItem], Awaitable[str]]
Finish = Callable[[AnyRequest, Platform, User, int, str], Awaitable[Redirect]]
"""Where the officer goes once an action succeeded, given what was done (a sentence)."""


async def _back_to_item(
    request: AnyRequest, platform: Platform, user: User, item_id: int, done: str
) -> Redirect:
    flash(request, done)
    return see_other(f"/items/{item_id}")


async def _on_to_next_waiting(
    request: AnyRequest, platform: Platform, user: User, item_id: int, done: str
) -> Redirect:
    """After an accept or decline: on to the next item down the case's list that is waiting
    for review, naming the file just decided; back to the same item when none is left below."""
    async with platform.force_session(user.force_id) as session:
        item = await find_item(session, item_id)
        waiting = await next_waiting(session, item)
    if waiting is None:
        return await _back_to_item(request, platform, user, item_id, done)
    flash(request, f"{item.original_filename}: {done} Showing the next item waiting for review.")
    return see_other(f"/items/{waiting.id}")


async def _act(
    request: AnyRequest,
    platform: Platform,
    user: User,
    item_id: int,
    action: Action,
    finish: Finish = _back_to_item,
) -> Redirect:
    """Run ``action`` on the force's item, then ``finish``; a refusal goes back to the item
    page saying why."""
    try:
        done = await _run(platform, user, item_id, action)
    except HTTPException:
        raise
    except ValueError as exc:
        flash(request, _sentence(str(exc)), error=True)
        return see_other(f"/items/{item_id}")
    return await finish(request, platform, user, item_id, done)


async def act_on_field(
    request: AnyRequest,
    platform: Platform,
    user: User,
    item_id: int,
    action: Action,
    field: str,
    typed: str,
    finish: Finish = _back_to_item,
) -> Response[Any]:
    """Like ``_act``, but a refusal shows the item page again (400), the error next to
    ``field`` and ``typed`` still in it."""
    try:
        done = await _run(platform, user, item_id, action)
    except HTTPException:
        raise
    except ValueError as exc:
        error = FieldError(field, _sentence(str(exc)))
        return await show_item(request, platform, user, item_id, error, typed)
    return await finish(request, platform, user, item_id, done)


async def _run(platform: Platform, user: User, item_id: int, action: Action) -> str:
    async with force_transaction(platform, user.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        if item is None:
            raise NotFoundException(f"no item {item_id}")
        return await action(tx, item)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def _text(form: FormMultiDict, name: str) -> str:
    return str(form.get(name, ""))


@get("/items/{item_id:int}", include_in_schema=False, opt={"permission": Permission.VIEW_CASES})
async def item_page(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Template:
    """The item: preview, metadata, the witness's words, provenance and actions."""
    return await show_item(request, platform, user, item_id)


async def show_item(
    request: AnyRequest,
    platform: Platform,
    user: User,
    item_id: int,
    error: FieldError | None = None,
    typed: str = "",
) -> Template:
    """The item page (its view audited); with ``error``, a 400 that keeps ``typed`` in the
    field the error names."""
    async with force_transaction(platform, user.force_id) as tx:
        view = await item_view(tx.session, item_id)
        await audit.record(
            tx.session,
            user.force_id,
            actor=review.actor_of(user),
            action="item.viewed",
            object_type="item",
            object_id=item_id,
        )
    return page(
        request,
        "item.html",
        status_code=400 if error else 200,
        user=user,
        view=view,
        item=view.item,
        errors=[error] if error else [],
        typed={error.field: typed} if error else {},
        can_review=may(user, Permission.REVIEW_EVIDENCE),
        can_download=may(user, Permission.DOWNLOAD_EVIDENCE),
        can_request_disposal=may(user, Permission.REQUEST_DISPOSAL),
        can_approve_disposal=may(user, Permission.APPROVE_DISPOSAL),
        can_release=may(user, Permission.RELEASE_QUARANTINE),
    )


@post(
    "/items/{item_id:int}/accept",
    include_in_schema=False,
    opt={"permission": Permission.REVIEW_EVIDENCE},
)
async def accept_item(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Redirect:
    """Accept the item: it gets the next exhibit reference on its case; then on to the next
    item waiting for review."""

    async def action(tx: ForceTransaction, item: EvidenceItem) -> str:
        reference = await review.accept(tx, item, user)
        return f"Accepted as exhibit {reference}."

    return await _act(request, platform, user, item_id, action, _on_to_next_waiting)


@post(
    "/items/{item_id:int}/process-again",
    include_in_schema=False,
    opt={"permission": Permission.REVIEW_EVIDENCE},
)
async def process_item_again(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Redirect:
    """Run again the media processing that failed on the item (its original is only read)."""

    async def action(tx: ForceTransaction, item: EvidenceItem) -> str:
        keys = await process_again(tx, platform, item, f"user:{user.id}")
        if not keys:
            raise ValueError("there is nothing to process again: no failed processing remains")
        return f"Processing queued again ({', '.join(keys)}); this page shows the outcome."

    return await _act(request, platform, user, item_id, action)


@post(
    "/items/{item_id:int}/decline",
    include_in_schema=False,
    opt={"permission": Permission.REVIEW_EVIDENCE},
)
async def decline_item(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Response[Any]:
    """Decline the item with the officer's reason (it is kept for the retention period);
    then on to the next item waiting for review."""
    reason = _text(await request.form(), "reason")

    async def action(tx: ForceTransaction, item: EvidenceItem) -> str:
        await review.decline(tx, item, user, reason)
        return "Declined. The file is kept for the force's retention period."

    return await act_on_field(
        request, platform, user, item_id, action, "decline-reason", reason, _on_to_next_waiting
    )


@post(
    "/items/{item_id:int}/tags",
    include_in_schema=False,
    opt={"permission": Permission.REVIEW_EVIDENCE},
)
async def tag_item(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Response[Any]:
    """Replace the item's tags with the comma-separated list given."""
    typed = _text(await request.form(), "tags")

    async def action(tx: ForceTransaction, item: EvidenceItem) -> str:
        await review.set_tags(tx, item, user, typed.split(","))
        return "Tags saved."

    return await act_on_field(request, platform, user, item_id, action, "tags", typed)


@post(
    "/items/{item_id:int}/category",
    include_in_schema=False,
    opt={"permission": Permission.REVIEW_EVIDENCE},
)
async def categorise_item(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Response[Any]:
    """Put the item in one of the force's categories (or none); a category the select does
    not offer shows the item page again (400) with the error by the select."""
    chosen = _text(await request.form(), "category_id")

    async def action(tx: ForceTransaction, item: EvidenceItem) -> str:
        category = None
        if chosen:
            category_id = whole_number(chosen)
            category = await tx.session.get(Category, category_id) if category_id else None
            if category is None:
                raise review.ReviewRefused("choose one of your force's categories")
        await review.categorise(tx, item, user, category)
        return f"Category: {category.name}." if category else "Category removed."

    return await act_on_field(request, platform, user, item_id, action, "category_id", chosen)


@post(
    "/items/{item_id:int}/sensitive",
    include_in_schema=False,
    opt={"permission": Permission.REVIEW_EVIDENCE},
)
async def mark_sensitive(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Redirect:
    """Mark the item sensitive / do not disclose (``sensitive=yes``), or clear the mark."""
    form = await request.form()
    sensitive = _text(form, "sensitive") == "yes"
    reason = _text(form, "reason")

    async def action(tx: ForceTransaction, item: EvidenceItem) -> str:
        await review.set_sensitive(tx, item, user, sensitive, reason)
        if not sensitive:
            return "Sensitive mark cleared."
        now = utcnow()
        live = [s.id for s in await unrevoked_shares(tx.session, item.id) if s.expires_at > now]
        if not live:
            return "Marked sensitive: do not disclose."
        named = ", ".join(str(share_id) for share_id in live)
        return (
            f"Marked sensitive: do not disclose. It is in live share {named}: its recipients "
            "can no longer open it. Revoke it and share the other exhibits again."
            if len(live) == 1
            else f"Marked sensitive: do not disclose. It is in live shares {named}: their "
            "recipients can no longer open them. Revoke them and share the other exhibits again."
        )

    return await _act(request, platform, user, item_id, action)


@post(
    "/items/{item_id:int}/release",
    include_in_schema=False,
    opt={"permission": Permission.RELEASE_QUARANTINE},
)
async def release_item(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    item_id: FromPath[int],
) -> Response[Any]:
    """Release a quarantined item into review with the checker's reason (audited)."""
    reason = _text(await request.form(), "reason")

    async def action(tx: ForceTransaction, item: EvidenceItem) -> str:
        await quarantine.release(platform, tx, item, user, reason)
        return "Released from quarantine: the item is waiting for review."

    return await act_on_field(request, platform, user, item_id, action, "release-reason", reason)


@post(
    "/cases/{case_id:int}/items/bulk",
    include_in_schema=False,
    opt={"permission": Permission.REVIEW_EVIDENCE},
)
async def bulk_action(
    request: AnyRequest,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any]:
    """Accept, decline (with one reason) or tag the selected items of a case in one go.

    All or nothing: if any selected item refuses the action, none changes, and the case page
    comes back (400) with the items still ticked and the action and text as they were.
    """
    chosen = BulkChoice.from_form(await request.form())
    if chosen.action not in BULK_ACTIONS or not chosen.item_ids:
        error = chosen.error("Select at least one item and an action")
        return await show_case(request, platform, user, case_id, chosen, error)
    try:
        async with force_transaction(platform, user.force_id) as tx:
            items = list(
                await tx.session.scalars(
                    select(EvidenceItem)
                    .where(EvidenceItem.id.in_(chosen.item_ids), EvidenceItem.case_id == case_id)
                    .order_by(EvidenceItem.received_at, EvidenceItem.id)
                    .with_for_update()
                )
            )
            if len(items) != len(chosen.item_ids):
                raise NotFoundException("some selected items are not on this case")
            for item in items:
                await _bulk_one(tx, item, user, chosen)
    except HTTPException:
        raise
    except ValueError as exc:
        error = chosen.error("Nothing was changed: " + str(exc))
        return await show_case(request, platform, user, case_id, chosen, error)
    done = len(items)
    flash(request, f"{chosen.action.capitalize()}: {done} item{'s' * (done != 1)} done.")
    return see_other(f"/cases/{case_id}?page={chosen.page}#evidence")


async def _bulk_one(
    tx: ForceTransaction, item: EvidenceItem, user: User, chosen: BulkChoice
) -> Any:
    if chosen.action == "accept":
        return await review.accept(tx, item, user)
    if chosen.action == "decline":
        return await review.decline(tx, item, user, chosen.reason)
    if not chosen.tag.strip():
        raise review.ReviewRefused("give a tag to add")
    return await review.add_tag(tx, item, user, chosen.tag)
