"""Creating forces."""

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.forces.models import Force

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class ForceExists(ValueError):
    """A force with that slug already exists."""


async def create_force(
    session: AsyncSession, *, slug: str, name: str, contact_details: str = "", actor: str
) -> Force:
    """Create a force and open its audit chain with the creation event. Not committed here."""
    if not _SLUG.match(slug):
        raise ValueError(f"force slug {slug!r} must be 2-63 lower-case letters, digits or dashes")
    if await session.scalar(select(Force.id).where(Force.slug == slug)) is not None:
        raise ForceExists(f"a force {slug!r} already exists")
    force = Force(slug=slug, name=name, contact_details=contact_details)
    session.add(force)
    await session.flush()
    await audit.record(
        session,
        force.id,
        actor=actor,
        action="force.created",
        object_type="force",
        object_id=force.id,
        details={"slug": slug, "name": name},
    )
    return force
