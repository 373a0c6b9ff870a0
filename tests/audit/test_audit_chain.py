"""The audit log: append-only, hash-chained per force, and tampering is found and named."""

import asyncio
import itertools

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from exhibit.audit import log as audit
from exhibit.audit.chain import GENESIS_HASH
from exhibit.audit.models import AuditEvent
from exhibit.audit.verify import ChainHead, verify_force_chain
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from tests.fixtures.cli import invoke_exhibit


async def _force(platform: Platform, slug: str = "kent") -> int:
    async with platform.system_session() as session:
        force = await create_force(session, slug=slug, name=slug.title(), actor="test")
        await session.commit()
        return force.id


async def _record(platform: Platform, force_id: int, n: int, *, reason: str = "") -> None:
    async with force_transaction(platform, force_id) as tx:
        await audit.record(
            tx.session,
            force_id,
            actor="user:1",
            action="item.viewed",
            object_type="item",
            object_id=n,
            reason=reason,
            details={"n": n, "nested": {"b": 2, "a": [1, "x"]}},
        )


async def _tamper(platform: Platform, sql: str) -> None:
    """Change the log as someone with database rights could: past the append-only trigger."""
    async with platform.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            await connection.execute(text(sql))
            await connection.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER audit_event_no_update"))
            await connection.execute(text("DROP TRIGGER audit_event_no_delete"))
            await connection.execute(text(sql))


async def test_events_chain_from_genesis_and_verify(platform: Platform) -> None:
    force_id = await _force(platform)
    for n in range(5):
        await _record(platform, force_id, n)
    async with platform.force_session(force_id) as session:
        events = (await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
        report = await verify_force_chain(session, force_id)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]  # force.created first
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert report.ok
    assert report.events == 6


async def test_the_database_refuses_to_change_or_delete_an_event(platform: Platform) -> None:
    force_id = await _force(platform)
    for statement in ("UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with platform.engine.begin() as connection:
                await connection.execute(text(statement))
    async with platform.force_session(force_id) as session:
        assert (await verify_force_chain(session, force_id)).events == 1


async def test_chains_of_two_forces_are_independent(platform: Platform) -> None:
    kent, essex = await _force(platform, "kent"), await _force(platform, "essex")
    await _record(platform, kent, 1)
    await _record(platform, essex, 1)
    await _record(platform, kent, 2)
    async with platform.force_session(kent) as session:
        assert (await verify_force_chain(session, kent)).events == 3
    async with platform.force_session(essex) as session:
        assert (await verify_force_chain(session, essex)).events == 2


async def test_concurrent_writers_never_fork_the_chain(platform: Platform) -> None:
    force_id = await _force(platform)
    await asyncio.gather(*(_record(platform, force_id, n) for n in range(20)))
    async with platform.force_session(force_id) as session:
        report = await verify_force_chain(session, force_id)
    assert report.ok
    assert report.events == 21


@pytest.mark.parametrize(
    ("sql", "seq", "problem"),
    [
        ("UPDATE audit_event SET reason = 'nothing to see' WHERE seq = 3", 3, "altered"),
        ("UPDATE audit_event SET actor = 'user:99' WHERE seq = 2", 2, "altered"),
        ("DELETE FROM audit_event WHERE seq = 3", 3, "missing"),
    ],
)
async def test_tampering_is_found_and_the_first_broken_event_named(
    platform: Platform, sql: str, seq: int, problem: str
) -> None:
    force_id = await _force(platform)
    for n in range(4):
        await _record(platform, force_id, n)
    await _tamper(platform, sql)
    async with platform.force_session(force_id) as session:
        report = await verify_force_chain(session, force_id)
    assert report.broken is not None
    assert (report.broken.seq, problem in report.broken.problem) == (seq, True)
    assert report.events == seq - 1  # those before the break verified
    assert report.head is not None and report.head.seq == seq - 1


async def _head(platform: Platform, force_id: int) -> ChainHead:
    async with platform.force_session(force_id) as session:
        report = await verify_force_chain(session, force_id)
    assert report.ok and report.head is not None
    return report.head


async def test_events_cut_from_the_end_are_found_against_a_noted_head(platform: Platform) -> None:
    force_id = await _force(platform)
    for n in range(2):
        await _record(platform, force_id, n)
    earlier = await _head(platform, force_id)  # event 3
    await _record(platform, force_id, 3)
    async with platform.force_session(force_id) as session:
        assert (await verify_force_chain(session, force_id, earlier)).ok  # the chain grew

    await _tamper(platform, "DELETE FROM audit_event WHERE seq >= 3")
    async with platform.force_session(force_id) as session:
        alone = await verify_force_chain(session, force_id)
        noted = await verify_force_chain(session, force_id, earlier)
    assert alone.ok and alone.events == 2  # a shorter chain still links up
    assert noted.broken is not None
    assert noted.broken.seq == 3
    assert "removed from its end" in noted.broken.problem


async def test_a_rebuilt_chain_differs_from_a_noted_head(platform: Platform) -> None:
    force_id = await _force(platform)
    await _record(platform, force_id, 1)
    earlier = await _head(platform, force_id)
    forged = ChainHead(earlier.seq, "f" * 64)
    async with platform.force_session(force_id) as session:
        report = await verify_force_chain(session, force_id, forged)
    assert report.broken is not None
    assert (report.broken.seq, "rebuilt" in report.broken.problem) == (earlier.seq, True)


def test_a_chain_head_is_read_back_as_printed() -> None:
    head = ChainHead(42, "a" * 64)
    assert ChainHead.parse(f" {head} ") == head
    for bad in ("42", "0:" + "a" * 64, "x:" + "a" * 64, "42:" + "a" * 63, "42:" + "g" * 64):
        with pytest.raises(ValueError, match="SEQ:HASH"):
            ChainHead.parse(bad)


async def test_exhibit_audit_verify_fails_naming_the_tampered_event(platform: Platform) -> None:
    force_id = await _force(platform, "kent")
    await _force(platform, "essex")
    for n in range(3):
        await _record(platform, force_id, n, reason="routine review")

    clean = await asyncio.to_thread(invoke_exhibit, platform.settings, "audit", "verify")
    assert clean.returncode == 0, clean.stderr
    head = str(await _head(platform, force_id))
    assert f"kent: ok (4 events; head {head})" in clean.stdout
    assert "essex: ok (1 events; head 1:" in clean.stdout

    noted = await asyncio.to_thread(
        invoke_exhibit, platform.settings, "audit", "verify", "--force", "kent", "--head", head
    )
    assert noted.returncode == 0, noted.stderr
    for wrong, message in [
        (["--head", head], "give --force too"),
        (["--force", "kent", "--head", "latest"], "SEQ:HASH"),
    ]:
        refused = await asyncio.to_thread(
            invoke_exhibit, platform.settings, "audit", "verify", *wrong
        )
        assert refused.returncode == 2
        assert message in refused.stderr

    await _tamper(platform, "UPDATE audit_event SET reason = 'edited' WHERE seq = 3")
    broken = await asyncio.to_thread(
        invoke_exhibit, platform.settings, "audit", "verify", "--force", "kent"
    )
    assert broken.returncode == 1
    assert "kent: BROKEN at event 3" in broken.stderr
    assert "altered" in broken.stderr
