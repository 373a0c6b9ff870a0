"""What a force admin does to the force's users: roles, deactivation, one-time password links.

Every change is audited in the caller's transaction. An admin cannot change their own role
or deactivate themselves, so a force is never left without the admin who made the change.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import PasswordSetup, Role, User
from exhibit.accounts.passwords import hash_password
from exhibit.audit import log as audit
from exhibit.db.base import utcnow

SETUP_LINK_LIFETIME = timedelta(days=3)


class SelfChange(ValueError):
    """An admin tried to change their own role or deactivate themselves."""


async def change_role(session: AsyncSession, target: User, role: Role, *, by: User) -> None:
    """Give ``target`` a new role, audited. Not committed."""
    if target.id == by.id:
        raise SelfChange("you cannot change your own role; ask another force admin")
    if target.role == role:
        return
    previous, target.role = target.role, role
    await _audit(
        session, target, by, "user.role_changed", {"from": previous.value, "to": role.value}
    )


async def set_active(session: AsyncSession, target: User, active: bool, *, by: User) -> None:
    """Deactivate (signed out everywhere at once, tokens stop working) or reactivate a user."""
    if target.id == by.id:
        raise SelfChange("you cannot deactivate yourself; ask another force admin")
    if target.active == active:
        return
    target.active = active
    await _audit(session, target, by, "user.reactivated" if active else "user.deactivated", {})


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_setup_link(session: AsyncSession, target: User, *, actor: str) -> str:
    """A one-time token with which ``target`` sets their password (valid for three days).

    Earlier unused links of the user stop working. Only the token's SHA-256 is stored.
    Not committed.
    """
    now = utcnow()
    for old in await session.scalars(
        select(PasswordSetup).where(
            PasswordSetup.user_id == target.id, PasswordSetup.used_at.is_(None)
        )
    ):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordSetup(
            force_id=target.force_id,
            user_id=target.id,
            token_hash=_hash(token),
            expires_at=now + SETUP_LINK_LIFETIME,
        )
    )
    await session.flush()
    await audit.record(
        session,
        target.force_id,
        actor=actor,
        action="user.password_link_issued",
        object_type="user",
        object_id=target.id,
    )
    return token


async def setup_link_user(session: AsyncSession, token: str) -> tuple[PasswordSetup, User] | None:
    """The live link ``token`` names and its active user, or None (unknown, used or expired)."""
    link = await session.scalar(
        select(PasswordSetup).where(PasswordSetup.token_hash == _hash(token))
    )
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    user = await session.get(User, link.user_id)
    if user is None or not user.active:
        return None
    return link, user


async def use_setup_link(
    session: AsyncSession, link: PasswordSetup, user: User, password: str
) -> None:
    """Set the user's password from their link, which then stops working. Not committed.

    Raises ``WeakPassword`` for a password that is too short (the link stays usable).
    """
    user.password_hash = hash_password(password)
    link.used_at = utcnow()
    await audit.record(
        session,
        user.force_id,
        actor=f"user:{user.id}",
        action="user.password_set",
        object_type="user",
        object_id=user.id,
    )


async def _audit(
    session: AsyncSession, target: User, by: User, action: str, details: dict[str, str]
) -> None:
    await audit.record(
        session,
        target.force_id,
        actor=f"user:{by.id}",
        action=action,
        object_type="user",
        object_id=target.id,
        details=details,
    )
