"""What a force admin does to the force's users: roles, deactivation, sign-in lock-outs,
two-factor resets and one-time password links (to set a first password, or to reset a
forgotten one).

Every change is audited in the caller's transaction; a request that changes nothing is not.
An admin cannot change their own role or deactivate themselves, so a force is never left
without the admin who made the change; nor reset their own two-factor sign-in, which would
let whoever holds their session (or password) enrol an authenticator of their own.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts import lockout, two_factor
from exhibit.accounts.models import PasswordSetup, Role, User
from exhibit.accounts.passwords import hash_password
from exhibit.audit import log as audit
from exhibit.db.base import utcnow

SETUP_LINK_LIFETIME = timedelta(days=3)
MAX_REASON = 2000


class SelfChange(ValueError):
    """An admin tried to change their own role or deactivate themselves."""


class ReasonRefused(ValueError):
    """The change needs a reason for the audit log: none was given, or too long a one."""


async def change_role(session: AsyncSession, target: User, role: Role, *, by: User) -> bool:
    """Give ``target`` a new role, audited; False (and no event) if they already have it.

    Not committed.
    """
    if target.id == by.id:
        raise SelfChange("you cannot change your own role; ask another force admin")
    if target.role == role:
        return False
    previous, target.role = target.role, role
    await _audit(
        session, target, by, "user.role_changed", {"from": previous.value, "to": role.value}
    )
    return True


async def deactivate(session: AsyncSession, target: User, *, by: User, reason: str) -> bool:
    """Stop ``target`` signing in: their sessions and API tokens stop working at once.

    Audited with ``reason``; False (and no event) if they were already deactivated.
    Raises ``SelfChange`` for the admin's own account and ``ReasonRefused``. Not committed.
    """
    if target.id == by.id:
        raise SelfChange("you cannot deactivate yourself; ask another force admin")
    reason = _checked(reason)
    if not target.active:
        return False
    target.active = False
    await _audit(session, target, by, "user.deactivated", {}, reason=reason)
    return True


async def reactivate(session: AsyncSession, target: User, *, by: User, reason: str) -> bool:
    """Let a deactivated user sign in again, audited with ``reason``.

    False (and no event) if they were active. Raises ``ReasonRefused``. Not committed.
    """
    reason = _checked(reason)
    if target.active:
        return False
    target.active = True
    await _audit(session, target, by, "user.reactivated", {}, reason=reason)
    return True


async def clear_lockout(session: AsyncSession, target: User, *, by: User, reason: str) -> bool:
    """Let ``target``'s address try to sign in again now, from anywhere, audited with ``reason``.

    False (and no event) if the address was not locked out. Raises ``ReasonRefused``.
    Not committed.
    """
    reason = _checked(reason)
    until = await lockout.any_lock_until(session, target.email)
    if until is None:
        return False
    await lockout.clear_all(session, target.email)
    await _audit(
        session, target, by, "user.lockout_cleared", {"locked_until": until.isoformat()}, reason
    )
    return True


async def reset_two_factor(session: AsyncSession, target: User, *, by: User, reason: str) -> bool:
    """Forget ``target``'s authenticator (they set up a new one when they next sign in),
    audited with ``reason``; False (and no event) if they have none.

    Raises ``SelfChange`` for the admin's own account (another force admin resets it, or the
    operator with ``exhibit user reset-two-factor``) and ``ReasonRefused``. Not committed.
    """
    if target.id == by.id:
        raise SelfChange("you cannot reset your own two-factor sign-in; ask another force admin")
    reason = _checked(reason)
    if target.totp_secret is None:
        return False
    two_factor.forget(target)
    await _audit(session, target, by, "user.two_factor_reset", {}, reason)
    return True


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_setup_link(session: AsyncSession, target: User, *, actor: str) -> str:
    """A one-time token with which ``target`` sets their password (valid for three days).

    Earlier unused links of the user stop working. Only the token's SHA-256 is stored.
    Not committed.
    """
    token = await _new_link(session, target)
    await audit.record(
        session,
        target.force_id,
        actor=actor,
        action="user.password_link_issued",
        object_type="user",
        object_id=target.id,
    )
    return token


async def issue_reset_link(session: AsyncSession, target: User, *, by: User, reason: str) -> str:
    """A one-time token with which ``target`` chooses a new password, audited with ``reason``.

    The link works as a new user's set-up link does (``use_setup_link``); the old password
    keeps working until it is used. Raises ``ReasonRefused``. Not committed.
    """
    reason = _checked(reason)
    token = await _new_link(session, target)
    await _audit(session, target, by, "user.password_reset_link_issued", {}, reason)
    return token


async def _new_link(session: AsyncSession, target: User) -> str:
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

    Sessions begun with the old password end (each keeps the ``password_stamp`` it began
    with), and a sign-in lock-out of the address is lifted.
    Raises ``WeakPassword`` for a password that is too short (the link stays usable).
    """
    user.password_hash = hash_password(password)
    link.used_at = utcnow()
    await lockout.clear_all(session, user.email)
    await audit.record(
        session,
        user.force_id,
        actor=f"user:{user.id}",
        action="user.password_set",
        object_type="user",
        object_id=user.id,
    )


def _checked(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ReasonRefused("give a reason; it is recorded in the audit log")
    if len(reason) > MAX_REASON:
        raise ReasonRefused(f"a reason is at most {MAX_REASON} characters")
    return reason


async def _audit(
    session: AsyncSession,
    target: User,
    by: User,
    action: str,
    details: dict[str, str],
    reason: str = "",
) -> None:
    await audit.record(
        session,
        target.force_id,
        actor=f"user:{by.id}",
        action=action,
        object_type="user",
        object_id=target.id,
        reason=reason,
        details=details,
    )
