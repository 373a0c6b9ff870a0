"""Claiming an ``Idempotency-Key``, keeping the answer its request got, and replaying it.

A key is claimed by inserting its row in a short transaction of its own, before the request
is handled: the unique (force, user, key) constraint lets exactly one of two concurrent
requests claim it, on SQLite and PostgreSQL alike, in any app process. The answer is kept
once the request has been handled, its body sealed (it may name a witness); a server error
releases the key instead, so the client may try again.
"""

import base64
from dataclasses import dataclass
from datetime import timedelta

from litestar.exceptions import ClientException
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.api.idempotency.models import IdempotencyKey
from exhibit.db.base import utcnow
from exhibit.platform import Platform

KEPT_FOR = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=10)
"""No request is handled this long: a key claimed longer ago and still unanswered was
claimed by a process that stopped part way, and what became of its request is unknown."""


class KeyInUse(ClientException):
    """409: the first request with this key is still being handled."""

    status_code = 409


class KeyReused(ClientException):
    """422: the key was first sent with a different request (method, path or body)."""

    status_code = 422


@dataclass(frozen=True)
class KeptAnswer:
    """The answer the first request with a key got."""

    status_code: int
    body: bytes


@dataclass(frozen=True)
class KeyOwner:
    """Whose key it is: keys of different users or forces never meet."""

    force_id: int
    user_id: int
    key: str


async def claim_key(platform: Platform, owner: KeyOwner, fingerprint: str) -> KeptAnswer | None:
    """Claim ``owner``'s key for the request ``fingerprint`` names.

    None: the key is claimed, and the request is to be handled. A ``KeptAnswer``: the same
    request was handled before, and this is its answer. Raises ``KeyReused`` when the key
    was sent with another request, ``KeyInUse`` while that request is being handled.
    """
    # A second pass only when the row found was gone or stale: released after a server
    # error, or kept longer than KEPT_FOR and not yet swept.
    for _ in range(2):
        async with platform.force_session(owner.force_id) as session:
            claimed = await _insert(session, owner, fingerprint)
            held = None if claimed else await _held(session, owner)
            await session.commit()
        if claimed:
            return None
        if held is None or held.created_at < utcnow() - KEPT_FOR:
            await _delete(platform, owner, IdempotencyKey.created_at < utcnow() - KEPT_FOR)
            continue
        if held.fingerprint != fingerprint:
            raise KeyReused(
                f"the Idempotency-Key {owner.key!r} was already used with a different request "
                "(method, path or body); send a new key for a new request"
            )
        if held.status_code is None and held.created_at < utcnow() - ABANDONED_AFTER:
            raise KeyInUse(
                f"the first request with the Idempotency-Key {owner.key!r}, at "
                f"{held.created_at:%Y-%m-%d %H:%M} UTC, stopped before it was answered and "
                "may or may not have taken effect; look (a GET of what it would have made or "
                "changed) before sending it again under a new key"
            )
        if held.status_code is None:
            raise KeyInUse(
                f"a request with the Idempotency-Key {owner.key!r} is still being handled; "
                "retry once it has been answered"
            )
        return KeptAnswer(held.status_code, _unseal(platform, held.response_body or ""))
    raise KeyInUse(f"the Idempotency-Key {owner.key!r} is changing hands; retry in a moment")


async def keep_answer(platform: Platform, owner: KeyOwner, answer: KeptAnswer) -> None:
    """Keep the answer the request that claimed ``owner``'s key got, for its retries."""
    async with platform.force_session(owner.force_id) as session:
        await session.execute(
            update(IdempotencyKey)
            .where(*_is(owner))
            .values(status_code=answer.status_code, response_body=_seal(platform, answer.body))
        )
        await session.commit()


async def release_key(platform: Platform, owner: KeyOwner) -> None:
    """Forget ``owner``'s key (its request failed on the server's side): it may be sent again."""
    await _delete(platform, owner)


async def forget_old_keys(session: AsyncSession) -> int:
    """Delete every force's keys kept longer than ``KEPT_FOR``; how many went. Not committed."""
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - KEPT_FOR)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _insert(session: AsyncSession, owner: KeyOwner, fingerprint: str) -> bool:
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    claimed = await session.execute(
        insert(IdempotencyKey)
        .values(
            force_id=owner.force_id,
            user_id=owner.user_id,
            key=owner.key,
            fingerprint=fingerprint,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(
            index_elements=[IdempotencyKey.force_id, IdempotencyKey.user_id, IdempotencyKey.key]
        )
        .returning(IdempotencyKey.id)
    )
    return claimed.scalar_one_or_none() is not None


async def _held(session: AsyncSession, owner: KeyOwner) -> IdempotencyKey | None:
    return await session.scalar(select(IdempotencyKey).where(*_is(owner)))


async def _delete(platform: Platform, owner: KeyOwner, *conditions: ColumnElement[bool]) -> None:
    async with platform.force_session(owner.force_id) as session:
        await session.execute(delete(IdempotencyKey).where(*_is(owner), *conditions))
        await session.commit()


def _seal(platform: Platform, body: bytes) -> str:
    return platform.secret_box.encrypt(base64.b64encode(body).decode())


def _unseal(platform: Platform, sealed: str) -> bytes:
    return base64.b64decode(platform.secret_box.decrypt(sealed))


def _is(owner: KeyOwner) -> tuple[ColumnElement[bool], ...]:
    return (
        IdempotencyKey.force_id == owner.force_id,
        IdempotencyKey.user_id == owner.user_id,
        IdempotencyKey.key == owner.key,
    )
