"""Partner accounts: invited by email, enrolled with a password and a two-factor app.

A partner (a prosecutor, a CPS unit's mailbox) gets an account the first time a share is
made out to their address. The invitation link carries a token of which only the SHA-256 is
stored; it expires, and works once. Signing in needs the password and a current code from
the two-factor app (TOTP, RFC 6238).
"""

import hashlib
import secrets
from datetime import timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.lockout import clear_failures, locked_until, record_failure
from exhibit.accounts.passwords import hash_password, verify_password
from exhibit.accounts.sign_in import Refusal
from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.notifications.service import MessageContent, queue_message
from exhibit.secrets import SecretBox
from exhibit.sharing.models import PartnerAccount

INVITE_LIFETIME = timedelta(days=7)
ISSUER = "Exhibit"


class PartnerRefused(ValueError):
    """An invitation or a sign-in was refused; the message is safe to show."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite_partner(
    session: AsyncSession,
    box: SecretBox,
    force_id: int,
    email: str,
    *,
    invite_url: str,
    actor: str,
) -> PartnerAccount | None:
    """Invite ``email`` by email unless they already have an account or a live invitation.

    ``invite_url`` is the address of the invitation page; the token is appended to it. The
    message is queued through the force's email notifier in the caller's transaction.
    """
    address = email.strip().lower()
    account = await session.scalar(select(PartnerAccount).where(PartnerAccount.email == address))
    now = utcnow()
    if account is not None and (
        account.enrolled_at is not None
        or (account.invite_expires_at is not None and account.invite_expires_at > now)
    ):
        return None
    token = secrets.token_urlsafe(32)
    if account is None:
        account = PartnerAccount(
            force_id=force_id,
            email=address,
            totp_secret_encrypted=box.encrypt(pyotp.random_base32()),
        )
        session.add(account)
    account.invite_token_hash = _token_hash(token)
    account.invite_expires_at = now + INVITE_LIFETIME
    await session.flush()
    link = f"{invite_url.rstrip('/')}/{token}"
    force_name = await session.scalar(select(Force.name).where(Force.id == force_id))
    await queue_message(
        session,
        box,
        force_id,
        channel="email",
        recipient=address,
        content=MessageContent(
            subject=f"{force_name} has shared evidence with you",
            body=(
                f"{force_name} has shared evidence with you through Exhibit.\n\n"
                f"Set your password and two-factor sign-in here (valid for 7 days):\n{link}\n"
            ),
            link=link,
        ),
        purpose="partner_invite",
    )
    await audit.record(
        session,
        force_id,
        actor=actor,
        action="partner.invited",
        object_type="partner",
        object_id=account.id,
    )
    return account


async def end_partner_access(
    session: AsyncSession, box: SecretBox, force_id: int, email: str, *, actor: str, reason: str
) -> PartnerAccount:
    """End a partner's access at once (someone who left, a lost phone), saying why.

    The password, the two-factor secret (a new one is made, never shown) and any invitation
    are cleared: the partner's sessions end on their next request and no sign-in works until
    a new invitation is accepted (``reset_partner``, or a later share to the address).
    Audited as ``partner.access_ended``. ``PartnerRefused`` if the force has no such partner.
    """
    if not reason.strip():
        raise PartnerRefused("say why the partner's access ends")
    address = email.strip().lower()
    account = await session.scalar(select(PartnerAccount).where(PartnerAccount.email == address))
    if account is None:
        raise PartnerRefused(f"no partner {address} in this force")
    account.password_hash = ""
    account.totp_secret_encrypted = box.encrypt(pyotp.random_base32())
    account.enrolled_at = None
    account.invite_token_hash = None
    account.invite_expires_at = None
    await audit.record(
        session,
        force_id,
        actor=actor,
        action="partner.access_ended",
        object_type="partner",
        object_id=account.id,
        reason=reason.strip(),
    )
    return account


async def reset_partner(
    session: AsyncSession,
    box: SecretBox,
    force_id: int,
    email: str,
    *,
    invite_url: str,
    actor: str,
    reason: str,
) -> PartnerAccount:
    """End the partner's access and email them a new invitation, to set a new password and
    two-factor app (a lost phone, a forgotten password). Both steps are audited."""
    await end_partner_access(session, box, force_id, email, actor=actor, reason=reason)
    account = await invite_partner(
        session, box, force_id, email, invite_url=invite_url, actor=actor
    )
    assert account is not None  # access just ended: neither enrolled nor invited
    return account


async def invitation(session: AsyncSession, token: str) -> PartnerAccount:
    """The account a live invitation token belongs to; ``PartnerRefused`` otherwise."""
    account = await session.scalar(
        select(PartnerAccount).where(PartnerAccount.invite_token_hash == _token_hash(token))
    )
    if account is None or account.invite_expires_at is None:
        raise PartnerRefused("this invitation link is not valid or has already been used")
    if account.invite_expires_at <= utcnow():
        raise PartnerRefused("this invitation has expired; ask the officer to share again")
    return account


def provisioning_uri(box: SecretBox, account: PartnerAccount, force_name: str) -> str:
    """The ``otpauth://`` address an authenticator app enrols from."""
    secret = box.decrypt(account.totp_secret_encrypted)
    issuer = f"{ISSUER} {force_name}"
    return pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=issuer)


def two_factor_secret(box: SecretBox, account: PartnerAccount) -> str:
    """The two-factor secret, to be typed into an authenticator app during enrolment."""
    return box.decrypt(account.totp_secret_encrypted)


def _code_ok(box: SecretBox, account: PartnerAccount, code: str) -> bool:
    secret = box.decrypt(account.totp_secret_encrypted)
    return pyotp.TOTP(secret).verify(code.strip().replace(" ", ""), valid_window=1)


async def enrol(
    session: AsyncSession, box: SecretBox, token: str, password: str, code: str
) -> PartnerAccount:
    """Accept an invitation: set the password and prove the two-factor app works."""
    account = await invitation(session, token)
    if not _code_ok(box, account, code):
        raise PartnerRefused("the code from your authenticator app is wrong; try the next one")
    account.password_hash = hash_password(password)
    account.enrolled_at = utcnow()
    account.invite_token_hash = None
    account.invite_expires_at = None
    await audit.record(
        session,
        account.force_id,
        actor=f"partner:{account.id}",
        action="partner.enrolled",
        object_type="partner",
        object_id=account.id,
    )
    return account


async def authenticate(
    session: AsyncSession,
    box: SecretBox,
    force_id: int,
    email: str,
    password: str,
    code: str,
    *,
    client: str,
) -> PartnerAccount | Refusal:
    """The enrolled partner with this email, password and current code, or why not.

    After ``MAX_FAILURES`` wrong attempts from one client address the e-mail is locked out
    there for a while (as officers' are, ``exhibit.accounts.lockout``), whatever is then given:
    ``Refusal.LOCKED`` from the attempt that locks it on, so the partner is told to wait.

    Both outcomes are audited; a refusal returns (rather than raises) so that the caller's
    transaction commits its audit event.
    """
    address = email.strip().lower()
    # Counted apart from officers' sign-ins: a partner's address is a different account.
    lockout_key = f"share_partner:{force_id}:{address}"
    account = await session.scalar(select(PartnerAccount).where(PartnerAccount.email == address))
    locked = await locked_until(session, lockout_key, client) is not None
    if (
        locked
        or account is None
        or account.enrolled_at is None
        or not verify_password(account.password_hash, password)
        or not _code_ok(box, account, code)
    ):
        await audit.record(
            session,
            force_id,
            actor="partner:unknown" if account is None else f"partner:{account.id}",
            action="partner.sign_in_refused",
            object_type="partner",
            object_id=account.id if account else 0,
            details={"locked": locked},
        )
        if locked or await record_failure(session, lockout_key, client):
            return Refusal.LOCKED
        return Refusal.WRONG
    await clear_failures(session, lockout_key, client)
    await audit.record(
        session,
        force_id,
        actor=f"partner:{account.id}",
        action="partner.signed_in",
        object_type="partner",
        object_id=account.id,
    )
    return account
