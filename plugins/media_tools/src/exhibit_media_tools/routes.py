"""The officer's redaction form: ask for a redacted and/or disclosure copy of a photo or video.

Mounted at ``/plugins/media_tools/<force slug>/items/<id>/redaction``: the force slug in
the path lets the plugin guard answer 404 for a force without media_tools. The signed-in
officer must belong to that force and may review evidence; the form carries the CSRF
token like every officer form. The copy is made by a job; the officer is sent back to
the item, where the derivative appears once made.
"""

from dataclasses import dataclass

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission, require
from exhibit.audit import log as audit
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.web.officer.pages import AnyRequest, flash, page, see_other
from exhibit.web.officer.signed_in import signed_in_user
from exhibit_media_tools.processor import IMAGE_TYPES
from exhibit_media_tools.redaction_job import queue_redaction

MAX_BOXES = 50
COPY_KINDS = ("redacted", "disclosure")


class RedactionRequestInvalid(ValueError):
    """The form was filled in wrongly; the message says how, for the officer."""


@dataclass(frozen=True)
class RedactionRequest:
    """What the officer asked for."""

    reason: str
    boxes: list[tuple[int, int, int, int]]
    detect_faces: bool
    redact: bool
    disclosure: bool


def parse_form(form: dict[str, str]) -> RedactionRequest:
    """The officer's request from the form fields, or ``RedactionRequestInvalid``."""
    reason = form.get("reason", "").strip()
    if not reason:
        raise RedactionRequestInvalid("Give the reason for the copy (for example, disclosure).")
    boxes = []
    for number, line in enumerate(form.get("boxes", "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 4 or not all(p.isascii() and p.isdigit() and len(p) <= 5 for p in parts):
            raise RedactionRequestInvalid(
                f"Area {number} must be four whole numbers of up to 5 digits: "
                "left, top, width, height."
            )
        left, top, width, height = (int(p) for p in parts)
        if width == 0 or height == 0:
            raise RedactionRequestInvalid(f"Area {number} must have a width and a height.")
        boxes.append((left, top, width, height))
    if len(boxes) > MAX_BOXES:
        raise RedactionRequestInvalid(f"Draw at most {MAX_BOXES} areas.")
    detect = form.get("detect_faces") == "yes"
    redact = detect or bool(boxes)
    disclosure = form.get("disclosure") == "yes"
    if not (redact or disclosure):
        raise RedactionRequestInvalid(
            "Choose face blurring, give an area to blur, or ask for a disclosure copy."
        )
    return RedactionRequest(reason[:500], boxes, detect, redact, disclosure)


def can_redact(item: EvidenceItem) -> bool:
    """True for a photo or a video, as the processor found it (or by sniffed type before)."""
    kind = (item.capture_metadata or {}).get("kind")
    if kind is not None:
        return kind in ("photo", "video")
    return item.sniffed_type in IMAGE_TYPES or item.sniffed_type.startswith("video/")


async def _item_of_force(
    platform: Platform, user: User, force_slug: str, item_id: int
) -> tuple[EvidenceItem, list[Derivative]]:
    """The item, if it belongs to the officer's own force (404 otherwise)."""
    async with platform.force_session(user.force_id) as session:
        force = await session.get(Force, user.force_id)
        item = await session.get(EvidenceItem, item_id)
        if force is None or force.slug != force_slug or item is None:
            raise NotFoundException(f"no item {item_id}")
        copies = list(
            await session.scalars(
                select(Derivative)
                .where(Derivative.item_id == item_id, Derivative.kind.in_(COPY_KINDS))
                .order_by(Derivative.id)
            )
        )
    return item, copies


def _form_page(
    request: AnyRequest,
    item: EvidenceItem,
    copies: list[Derivative],
    *,
    redactable: bool,
    error: str = "",
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    template = page(
        request,
        "layout.html",
        status_code=status_code,
        item=item,
        copies=copies,
        redactable=redactable,
        error=error,
        values=values,
    )
    template.template_name = "media_tools/redaction.html"
    return template


class RedactionController(Controller):
    """GET shows the form, POST queues the copies."""

    path = "/{force_slug:str}/items/{item_id:int}/redaction"
    dependencies = {"user": Provide(signed_in_user)}
    include_in_schema = False

    @get(opt={"permission": Permission.REVIEW_EVIDENCE})
    async def form(
        self,
        request: AnyRequest,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        force_slug: FromPath[str],
        item_id: FromPath[int],
    ) -> Template:
        """The redaction form for one item, with the copies already made."""
        require(user, Permission.REVIEW_EVIDENCE)
        item, copies = await _item_of_force(platform, user, force_slug, item_id)
        return _form_page(request, item, copies, redactable=can_redact(item))

    @post(opt={"permission": Permission.REVIEW_EVIDENCE})
    async def ask(
        self,
        request: AnyRequest,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        force_slug: FromPath[str],
        item_id: FromPath[int],
    ) -> Template | Redirect:
        """Queue the copies asked for (audited); a wrongly filled form is shown again (400)."""
        require(user, Permission.REVIEW_EVIDENCE)
        item, copies = await _item_of_force(platform, user, force_slug, item_id)
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            if not can_redact(item):
                raise RedactionRequestInvalid("Only photos and video can be redacted here.")
            asked = parse_form(form)
        except RedactionRequestInvalid as exc:
            return _form_page(
                request, item, copies, redactable=True, error=str(exc), values=form, status_code=400
            )
        async with force_transaction(platform, user.force_id) as tx:
            job_id = await queue_redaction(
                tx.session,
                item.id,
                actor=f"user:{user.id}",
                reason=asked.reason,
                boxes=asked.boxes,
                detect_faces=asked.detect_faces,
                redact=asked.redact,
                disclosure=asked.disclosure,
            )
            await audit.record(
                tx.session,
                user.force_id,
                actor=f"user:{user.id}",
                action="redaction.requested",
                object_type="item",
                object_id=item.id,
                reason=asked.reason,
                details={
                    "job": job_id,
                    "boxes": [list(b) for b in asked.boxes],
                    "detect_faces": asked.detect_faces,
                    "disclosure": asked.disclosure,
                },
            )
        flash(request, "Copy requested. It appears under the item's files once made.")
        return see_other(f"/items/{item.id}")
