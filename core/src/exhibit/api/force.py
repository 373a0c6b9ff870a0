"""The caller's own force, its evidence categories, and the check of its audit chain."""

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import FromQuery
from sqlalchemy import select

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.audit.verify import ChainHead, verify_force_chain
from exhibit.evidence.models import Category
from exhibit.forces.transaction import force_info
from exhibit.platform import Platform


class ForceOut(msgspec.Struct):
    """The force the caller belongs to."""

    id: int
    slug: str
    name: str


class CategoryOut(msgspec.Struct):
    """A kind of evidence the force defined; an item's ``category_id`` names one."""

    id: int
    name: str
    retention_days: int


class ChainOut(msgspec.Struct):
    """Whether the force's audit chain verifies, and where it breaks if not.

    ``events`` counts the events that verified; ``head`` is the last of them as ``SEQ:HASH``
    (keep it, and pass it back later as ``head`` to find events cut from the chain's end).
    """

    ok: bool
    events: int
    head: str | None
    broken_at_seq: int | None
    problem: str | None


class ForceController(Controller):
    """``/api/v1/force``: the caller's force."""

    path = "/force"
    tags = ["force"]

    @get("/", opt={"permission": Permission.VIEW_CASES})
    async def show(
        self, platform: NamedDependency[Platform], user: NamedDependency[User]
    ) -> ForceOut:
        """The caller's force."""
        async with platform.force_session(user.force_id) as session:
            info = await force_info(session, user.force_id)
        return ForceOut(id=info.id, slug=info.slug, name=info.name)

    @get("/categories", opt={"permission": Permission.VIEW_CASES})
    async def categories(
        self, platform: NamedDependency[Platform], user: NamedDependency[User]
    ) -> list[CategoryOut]:
        """The force's evidence categories by name, with how long each keeps its items: the
        ids ``PUT /api/v1/items/{item_id}/category`` takes."""
        async with platform.force_session(user.force_id) as session:
            rows = await session.scalars(select(Category).order_by(Category.name))
            return [CategoryOut(c.id, c.name, c.retention_days) for c in rows]

    @get("/audit/verify", opt={"permission": Permission.SEARCH_AUDIT})
    async def verify_audit(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        head: FromQuery[str | None] = None,
    ) -> ChainOut:
        """Verify the force's audit chain (those who search the audit log).

        ``head``, a head an earlier check reported, must still be in the chain unchanged.
        """
        try:
            noted = ChainHead.parse(head) if head is not None else None
        except ValueError as exc:
            raise ValidationException(f"head: {exc}") from None
        async with platform.force_session(user.force_id) as session:
            report = await verify_force_chain(session, user.force_id, noted)
        broken = report.broken
        return ChainOut(
            ok=report.ok,
            events=report.events,
            head=str(report.head) if report.head else None,
            broken_at_seq=broken.seq if broken else None,
            problem=broken.problem if broken else None,
        )
