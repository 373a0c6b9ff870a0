"""TOTP two-factor authentication: who needs it, enrolment, checking a code, resetting.

The secret is kept encrypted (the platform's ``SecretBox``) in ``User.totp_secret`` and only
counts once the user has confirmed it with a first valid code. A code is accepted for the
current 30-second step or one either side (clock drift), and never twice: the step of the
last accepted code is stored, and no code of that step or an earlier one is taken again.
Wrong codes count towards the same per-address lock-out as wrong passwords.
"""

import enum
import hmac
import logging
import time
from typing import NamedTuple

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts import lockout
from exhibit.accounts.models import Role, User
from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.secrets import SecretBox, SecretUnavailable

log = logging.getLogger(__name__)

STEP_SECONDS = 30
DRIFT_STEPS = 1
ISSUER = "Exhibit"


class SecondStep(enum.StrEnum):
    """What a user whose password matched must still do before they are signed in."""

    NONE = "none"
    CODE = "code"
    ENROL = "enrol"


class CodeCheck(enum.StrEnum):
    """The outcome of checking a code."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"
    UNREADABLE = "unreadable"
    """The stored secret cannot be decrypted: the server's secret key has changed."""


def is_enrolled(user: User) -> bool:
    """True if the user has a confirmed authenticator."""
    return user.totp_secret is not None and user.totp_confirmed_at is not None


def required_for(user: User, force: Force) -> bool:
    """True if ``user`` must use two-factor: force admins always, others if the force says."""
    return user.role == Role.FORCE_ADMIN or force.two_factor_required


async def second_step(session: AsyncSession, user: User) -> SecondStep:
    """What ``user`` must do after their password: nothing, give a code, or set one up."""
    if is_enrolled(user):
        return SecondStep.CODE
    force = await session.get(Force, user.force_id)
    assert force is not None
    return SecondStep.ENROL if required_for(user, force) else SecondStep.NONE


def current_step(now: float | None = None) -> int:
    """The 30-second time step ``now`` falls in."""
    return int((time.time() if now is None else now) // STEP_SECONDS)


def code_for(secret: str, step: int) -> str:
    """The six-digit code of ``secret`` for time step ``step``."""
    return pyotp.TOTP(secret).generate_otp(step)


def matching_step(
    secret: str, code: str, *, after: int | None, now: float | None = None
) -> int | None:
    """The time step ``code`` belongs to (near now, later than ``after``), or None."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    here = current_step(now)
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(code_for(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, user: User, force_name: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=f"{ISSUER} {force_name}"
    )


async def offered_secret(session: AsyncSession, box: SecretBox, user: User) -> str:
    """The secret to show a user setting up two-factor (made and stored, encrypted, once).

    Reloading the page shows the same secret until it is confirmed. Not committed.
    """
    if is_enrolled(user):
        raise ValueError("two-factor authentication is already set up")
    if user.totp_secret is not None:
        try:
            return box.decrypt(user.totp_secret)
        except SecretUnavailable:
            pass  # offered under an earlier key and never confirmed: offer a new one
    secret = pyotp.random_base32()
    user.totp_secret = box.encrypt(secret)
    user.totp_last_step = None
    await session.flush()
    return secret


class CodeResult(NamedTuple):
    """How checking a code went, and the user it was for (None if the user has gone)."""

    outcome: CodeCheck
    user: User | None


async def check_code(
    platform: Platform, user_id: int, force_id: int, code: str, *, enrolling: bool, client: str = ""
) -> CodeResult:
    """Check ``code`` for a user part-way through sign-in (or confirming their authenticator).

    Accepting records the code's step (so it cannot be replayed), clears the address's
    failures and is audited as the sign-in; a wrong code counts towards the lock-out.
    """
    async with platform.force_session(force_id) as session:
        user = await session.get(User, user_id)
        email = user.email if user is not None else ""
        locked = user is not None and await lockout.locked_until(session, email, client) is not None
    if user is None or not user.active or user.totp_secret is None:
        return CodeResult(CodeCheck.WRONG, None)
    if is_enrolled(user) == enrolling:
        return CodeResult(CodeCheck.WRONG, None)  # the wrong form for this user's state
    if locked:
        await _record_failure(platform, user, "locked", client, count=False)
        return CodeResult(CodeCheck.LOCKED, user)
    try:
        secret = platform.secret_box.decrypt(user.totp_secret)
    except SecretUnavailable:
        log.error(
            "the two-factor secret of user %s cannot be decrypted with this server's "
            "EXHIBIT_SECRET_KEY: set the key it was stored with, or reset their two-factor",
            user.id,
        )
        return CodeResult(CodeCheck.UNREADABLE, user)
    step = matching_step(secret, code, after=user.totp_last_step)
    if step is None:
        now_locked = await _record_failure(platform, user, "wrong_code", client, count=True)
        return CodeResult(CodeCheck.LOCKED if now_locked else CodeCheck.WRONG, user)
    async with force_transaction(platform, force_id) as tx:
        fresh = await tx.session.get(User, user_id, with_for_update=True)
        assert fresh is not None
        if fresh.totp_last_step is not None and fresh.totp_last_step >= step:
            replayed = True  # another process took this code first
        else:
            replayed = False
            fresh.totp_last_step = step
            if enrolling:
                fresh.totp_confirmed_at = utcnow()
                await _audit(tx.session, fresh, "user.two_factor_enrolled", {"client": client})
            await lockout.clear_failures(tx.session, email, client)
            await _audit(
                tx.session, fresh, "user.signed_in", {"client": client, "two_factor": True}
            )
    if replayed:
        return CodeResult(CodeCheck.WRONG, user)
    return CodeResult(CodeCheck.ACCEPTED, fresh)


async def reset(session: AsyncSession, user: User, *, actor: str) -> None:
    """Forget a user's authenticator (``forget``), audited as ``actor``'s. Not committed."""
    forget(user)
    await _audit(session, user, "user.two_factor_reset", {}, actor=actor)


def forget(user: User) -> None:
    """Forget a user's authenticator, if any: they set up a new one at their next sign-in."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None


async def _record_failure(
    platform: Platform, user: User, reason: str, client: str, *, count: bool
) -> bool:
    async with force_transaction(platform, user.force_id) as tx:
        locked = count and await lockout.record_failure(tx.session, user.email, client)
        await _audit(
            tx.session,
            user,
            "user.two_factor_failed",
            {"reason": reason, "locked": locked, "client": client},
            actor="anonymous",
        )
    return locked


async def _audit(
    session: AsyncSession,
    user: User,
    action: str,
    details: dict[str, object],
    *,
    actor: str | None = None,
) -> None:
    await audit.record(
        session,
        user.force_id,
        actor=actor or f"user:{user.id}",
        action=action,
        object_type="user",
        object_id=user.id,
        details=details,
    )
