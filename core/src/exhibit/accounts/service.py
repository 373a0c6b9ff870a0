"""Creating users and personal API tokens, and recognising a token on a request."""

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.models import ApiToken, Role, User
from exhibit.accounts.passwords import hash_password
from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.uploads.contacts import is_email_address

TOKEN_PREFIX = "exh_"  # noqa: S105 (a marker that makes leaked tokens easy to scan for)
MAX_EMAIL = 320
MAX_NAME = 200


class UserExists(ValueError):
    """A user with that email address already exists (in any force)."""


async def create_user(
    session: AsyncSession,
    force_id: int,
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    actor: str,
) -> User:
    """Create a user of one force with an argon2id password hash, audited. Not committed."""
    email = email.strip().lower()
    if len(email) > MAX_EMAIL:
        raise ValueError(f"an email address is at most {MAX_EMAIL} characters")
    if not is_email_address(email):
        raise ValueError(f"{email!r} is not an email address")
    if len(name) > MAX_NAME:
        raise ValueError(f"a name is at most {MAX_NAME} characters")
    # A force's session sees only its own users, but an address is unique across forces:
    # the database's constraint (in a savepoint) catches one taken in another force.
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserExists(f"a user {email} already exists")
    user = User(
        force_id=force_id, email=email, name=name, role=role, password_hash=hash_password(password)
    )
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        raise UserExists(f"a user {email} already exists") from None
    await audit.record(
        session,
        force_id,
        actor=actor,
        action="user.created",
        object_type="user",
        object_id=user.id,
        details={"role": role.value},
    )
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_api_token(
    session: AsyncSession, user: User, *, name: str, actor: str
) -> tuple[ApiToken, str]:
    """Issue a personal API token; returns the row and the token, which is shown only once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        force_id=user.force_id, user_id=user.id, name=name, token_hash=_token_hash(token)
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        user.force_id,
        actor=actor,
        action="api_token.created",
        object_type="api_token",
        object_id=row.id,
        details={"user_id": user.id, "name": name},
    )
    return row, token


class TokenRefused(Exception):
    """An API token that names no active user; the message says why, for its holder."""


async def user_for_token(session: AsyncSession, token: str) -> User:
    """The active user a live token belongs to. Records when it was last used.

    Raises ``TokenRefused`` saying whether the token is unknown, revoked, or belongs to a
    deactivated account: only the token's holder can ask, and they need to know which.
    """
    row = None
    if token.startswith(TOKEN_PREFIX):
        query = select(ApiToken).where(ApiToken.token_hash == _token_hash(token))
        row = await session.scalar(query)
    if row is None:
        raise TokenRefused("the API token is not valid")
    if row.revoked_at is not None:
        raise TokenRefused(
            f"the API token was revoked at {row.revoked_at.isoformat()}: create a new one"
        )
    user = await session.get(User, row.user_id)
    if user is None or not user.active:
        raise TokenRefused("the API token's user account is deactivated")
    row.last_used_at = utcnow()
    await session.commit()
    return user


async def list_api_tokens(session: AsyncSession, user_id: int) -> list[ApiToken]:
    """A user's tokens, newest first, revoked ones included (the secret is never kept)."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list(await session.scalars(query))


async def revoke_api_token(
    session: AsyncSession, user_id: int, token_id: int, *, actor: str
) -> ApiToken | None:
    """Revoke one of a user's tokens at once, audited; None if the user has no such token.

    Revoking a token twice keeps its first revocation time. Not committed.
    """
    row = await session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await audit.record(
            session,
            row.force_id,
            actor=actor,
            action="api_token.revoked",
            object_type="api_token",
            object_id=row.id,
            details={"user_id": user_id, "name": row.name},
        )
    return row
