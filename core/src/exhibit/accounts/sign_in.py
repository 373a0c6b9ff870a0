"""Signing an officer in with email and password: argon2 check, lock-out, audit.

Every refusal looks the same to the caller whether the address is unknown, the password is
wrong or the account is inactive, and an unknown address costs the same argon2 work as a
known one. Each attempt on a real account is written to its force's audit chain.

Failures count towards a lock-out of the email for the client's address (and, far more
loosely, for every address: ``exhibit.accounts.lockout``). A user who needs a second factor
is only part-way in after the password: their failures are not cleared until the code is
checked (``exhibit.accounts.two_factor``), so guessing codes counts towards the same lock-out
as guessing passwords.
"""

import asyncio
import enum
from functools import cache
from typing import NamedTuple

from sqlalchemy import select

from exhibit.accounts import lockout
from exhibit.accounts.models import User
from exhibit.accounts.passwords import hash_password, verify_password
from exhibit.accounts.two_factor import SecondStep, second_step
from exhibit.audit import log as audit
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform


class Refusal(enum.StrEnum):
    """Why a sign-in was refused, as far as the person signing in may know."""

    WRONG = "wrong"
    LOCKED = "locked"


class SignInRefused(Exception):
    """The sign-in failed; ``refusal`` says whether to try again or wait."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"sign-in refused: {refusal.value}")
        self.refusal = refusal


class PasswordAccepted(NamedTuple):
    """The user whose password matched, and what they must still do (if anything)."""

    user: User
    next_step: SecondStep


@cache
def _decoy_hash() -> str:
    # Verified against when no user has the address, so that costs the same as a real check.
    return hash_password("not a real password, only a decoy")


async def sign_in(
    platform: Platform, email: str, password: str, *, client: str = ""
) -> PasswordAccepted:
    """The active user with ``email`` and ``password`` and their next step, or ``SignInRefused``.

    With ``SecondStep.NONE`` the user is signed in; otherwise they must give (or first set up)
    a TOTP code before they are.
    """
    email = email.strip().lower()
    async with platform.system_session() as session:
        locked = await lockout.locked_until(session, email, client) is not None
        user = await session.scalar(select(User).where(User.email == email))
    if locked:
        await _audit_failure(platform, user, reason="locked", client=client)
        raise SignInRefused(Refusal.LOCKED)
    stored = user.password_hash if user is not None else _decoy_hash()
    matches = await asyncio.to_thread(verify_password, stored, password)
    if user is not None and user.active and matches:
        async with force_transaction(platform, user.force_id) as tx:
            step = await second_step(tx.session, user)
            if step != SecondStep.NONE:
                await audit.record(
                    tx.session,
                    user.force_id,
                    actor=f"user:{user.id}",
                    action="user.password_accepted",
                    object_type="user",
                    object_id=user.id,
                    details={"client": client, "next_step": step.value},
                )
                return PasswordAccepted(user, step)
            await lockout.clear_failures(tx.session, email, client)
            await audit.record(
                tx.session,
                user.force_id,
                actor=f"user:{user.id}",
                action="user.signed_in",
                object_type="user",
                object_id=user.id,
                details={"client": client},
            )
        return PasswordAccepted(user, SecondStep.NONE)
    reason = "inactive" if user is not None and matches else "wrong_password"
    now_locked = await _audit_failure(platform, user, reason=reason, client=client, email=email)
    raise SignInRefused(Refusal.LOCKED if now_locked else Refusal.WRONG)


async def _audit_failure(
    platform: Platform, user: User | None, *, reason: str, client: str, email: str | None = None
) -> bool:
    """Count the failure (when ``email`` is given) and audit it; True if it locked the address."""
    if user is None:
        if email is None:
            return False
        async with platform.system_session() as session:
            locked = await lockout.record_failure(session, email, client)
            await session.commit()
        return locked
    async with force_transaction(platform, user.force_id) as tx:
        locked = email is not None and await lockout.record_failure(tx.session, email, client)
        await audit.record(
            tx.session,
            user.force_id,
            actor="anonymous",
            action="user.sign_in_failed",
            object_type="user",
            object_id=user.id,
            details={"reason": reason, "locked": locked, "client": client},
        )
    return locked
