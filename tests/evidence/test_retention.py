"""Retention: declined material goes once the force's keeping period ends, by a periodic
sweep that destroys the original and every derivative and leaves the tombstone and the
audit trail; a disposal also drops what was read out of the destroyed file."""

from datetime import timedelta

from sqlalchemy import update

from exhibit.accounts.models import User
from exhibit.audit.verify import verify_force_chain
from exhibit.db.base import utcnow
from exhibit.evidence.disposal import request_disposal
from exhibit.evidence.models import DisposalRequest, DisposalState, EvidenceItem, ReviewState
from exhibit.evidence.retention import RETENTION_JOB
from exhibit.evidence.review import accept, decline
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.jobs.periodic import schedule_periodic
from exhibit.jobs.worker import PERIODIC_JOBS, Worker
from exhibit.media.duplicates import near_duplicates
from exhibit.media.models import MediaHash
from exhibit.platform import Platform
from exhibit.storage.backend import ObjectNotFound
from tests.evidence.arrivals import arrived, png, with_derivative
from tests.fixtures.officer import audit_events
from tests.fixtures.witness import Scene, make_scene


async def _officer(platform: Platform, scene: Scene) -> User:
    async with platform.force_session(scene.force_id) as session:
        user = await session.get(User, scene.officer_id)
        assert user is not None
        return user


async def _item(platform: Platform, scene: Scene, item_id: int) -> EvidenceItem:
    async with platform.force_session(scene.force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        assert item is not None
        return item


async def _stored(platform: Platform, scene: Scene, key: str) -> bool:
    async with platform.force_session(scene.force_id) as session:
        force = await force_info(session, scene.force_id)
    try:
        await platform.storage(force, "local").stat(key)
    except ObjectNotFound:
        return False
    return True


async def _declined(platform: Platform, scene: Scene, item_id: int, *, days_ago: int) -> None:
    """Decline the item, then move its keeping date ``days_ago`` days into the past."""
    officer = await _officer(platform, scene)
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        assert item is not None
        await decline(tx, item, officer, "Not the incident")
    async with force_transaction(platform, scene.force_id) as tx:
        await tx.session.execute(
            update(EvidenceItem)
            .where(EvidenceItem.id == item_id)
            .values(retain_until=utcnow() - timedelta(days=days_ago))
        )


async def _run_the_sweep(platform: Platform) -> None:
    assert RETENTION_JOB in PERIODIC_JOBS
    assert RETENTION_JOB in await schedule_periodic(
        platform.sessions, {RETENTION_JOB: PERIODIC_JOBS[RETENTION_JOB]}
    )
    worker = Worker(platform)
    while await worker.run_once():
        pass


async def test_declined_items_past_their_keeping_date_are_disposed_of_by_the_sweep(
    platform: Platform,
) -> None:
    scene = await make_scene(platform)
    due = await arrived(platform, scene, png(colour=(1, 2, 3)))
    await _declined(platform, scene, due, days_ago=1)
    thumbnail = await with_derivative(platform, scene, due, png(8, 6))
    kept = await arrived(platform, scene, png(colour=(4, 5, 6)))
    await _declined(platform, scene, kept, days_ago=-5)  # five days still to go
    accepted = await arrived(platform, scene, png(colour=(7, 8, 9)))
    officer = await _officer(platform, scene)
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, accepted, with_for_update=True)
        assert item is not None
        await accept(tx, item, officer)
        item.retain_until = utcnow() - timedelta(days=1)  # an exhibit is never swept away
    pending = await arrived(platform, scene, png(colour=(10, 11, 12)))
    before = await _item(platform, scene, due)

    await _run_the_sweep(platform)

    tombstone = await _item(platform, scene, due)
    assert tombstone.review_state == ReviewState.DISPOSED
    assert tombstone.disposed_at is not None
    assert tombstone.sha256 == before.sha256
    assert not await _stored(platform, scene, before.storage_key)
    assert not await _stored(platform, scene, thumbnail.storage_key)
    [event] = await audit_events(platform, scene.force_id, "item.disposed")
    assert (event.actor, event.object_id) == ("system", str(due))
    assert "declined" in event.reason
    assert event.details["sha256"] == before.sha256
    assert sorted(event.details["objects_deleted"]) == sorted(
        [before.storage_key, thumbnail.storage_key]
    )
    assert event.details["decline_reason"] == "Not the incident"
    for item_id in (kept, accepted, pending):
        item = await _item(platform, scene, item_id)
        assert item.disposed_at is None
        assert await _stored(platform, scene, item.storage_key)
    assert await audit_events(platform, scene.force_id, "item.declined")  # the trail stays
    async with platform.force_session(scene.force_id) as session:
        assert (await verify_force_chain(session, scene.force_id)).ok


async def test_the_sweep_leaves_an_item_whose_disposal_awaits_a_decision(
    platform: Platform,
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    await _declined(platform, scene, item_id, days_ago=1)
    officer = await _officer(platform, scene)
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        assert item is not None
        disposal = await request_disposal(platform, tx, item, officer, "Duplicate")
    assert disposal.state == DisposalState.PENDING  # the force needs a second person

    await _run_the_sweep(platform)

    item = await _item(platform, scene, item_id)
    assert item.disposed_at is None
    assert await _stored(platform, scene, item.storage_key)
    async with platform.force_session(scene.force_id) as session:
        found = await session.get(DisposalRequest, disposal.id)
    assert found is not None and found.state == DisposalState.PENDING


async def test_a_disposal_drops_what_was_read_from_the_destroyed_file(
    platform: Platform,
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    other_id = await arrived(platform, scene, png(colour=(10, 20, 30)))
    async with force_transaction(platform, scene.force_id) as tx:
        # Two witnesses' pictures of one scene, as media processing hashes them.
        for each in (item_id, other_id):
            tx.session.add(
                MediaHash(
                    force_id=scene.force_id, item_id=each, algorithm="phash", value="c3a1f0e4"
                )
            )
        force = await tx.session.get(Force, scene.force_id)
        assert force is not None
        force.disposal_needs_approval = False
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        assert item is not None
        # What a media processor reads from a phone photo: where it was taken, on what.
        item.capture_metadata = {
            "gps": {"latitude": 51.2787, "longitude": 1.0828},
            "camera": "Pixel 8",
        }
    async with platform.force_session(scene.force_id) as session:
        assert [n.item_id for n in await near_duplicates(session, other_id)] == [item_id]
    await _declined(platform, scene, item_id, days_ago=-30)
    officer = await _officer(platform, scene)
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        assert item is not None
        disposal = await request_disposal(platform, tx, item, officer, "Not evidential")
    assert disposal.state == DisposalState.DONE

    tombstone = await _item(platform, scene, item_id)
    assert tombstone.review_state == ReviewState.DISPOSED
    assert tombstone.capture_metadata == {}
    assert tombstone.sha256  # the hash stays: the tombstone still proves what was destroyed
    async with platform.force_session(scene.force_id) as session:
        # The other witness's picture no longer matches a file that is gone.
        assert await near_duplicates(session, other_id) == []
