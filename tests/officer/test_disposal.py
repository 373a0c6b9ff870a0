"""Disposal: a reason, a second person's approval where the force wants one, the bytes gone
from the store, a tombstone and an audit chain that still verifies."""

from collections.abc import Sequence
from typing import ClassVar

import pytest
from sqlalchemy import select, update

from exhibit.accounts.models import Role, User
from exhibit.audit.verify import verify_force_chain
from exhibit.evidence.disposal import DisposalRefused, approve_disposal, request_disposal
from exhibit.evidence.models import DisposalRequest, EvidenceItem, ReviewState
from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.platform import Platform
from exhibit.plugins import hookimpl
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.storage.backend import ObjectNotFound, RetentionActive, StorageBackend
from exhibit.storage.capabilities import Retention
from exhibit.storage.local import LocalDiskStorage
from tests.evidence.arrivals import arrived, png, with_derivative
from tests.fixtures.cli import run_exhibit
from tests.fixtures.officer import audit_events, browser, make_user, sign_in, submit
from tests.fixtures.witness import Scene, make_scene

OFFICER = "officer@kent.test"


async def _item(platform: Platform, scene: Scene, item_id: int) -> EvidenceItem:
    async with platform.force_session(scene.force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        assert item is not None
        return item


async def _stored(platform: Platform, scene: Scene, key: str, backend: str = "local") -> bool:
    async with platform.force_session(scene.force_id) as session:
        force = await force_info(session, scene.force_id)
    try:
        await platform.storage(force, backend).stat(key)
    except ObjectNotFound:
        return False
    return True


async def test_a_supervisor_approves_a_disposal_and_the_bytes_go(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    derivative = await with_derivative(platform, scene, item_id, png(8, 6))
    item = await _item(platform, scene, item_id)
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR, name="Sgt Ann Lee")
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{item_id}")
        no_reason = await submit(client, f"/items/{item_id}/disposal", {"reason": ""})
        assert "Give a reason for disposal" in no_reason.text
        asked = await submit(client, f"/items/{item_id}/disposal", {"reason": "Duplicate of T/1"})
        assert "must approve it" in asked.text
        async with platform.force_session(scene.force_id) as session:
            disposal = await session.scalar(select(DisposalRequest))
        assert disposal is not None
        # An officer may not approve, not even someone else's request.
        assert (await submit(client, f"/disposals/{disposal.id}/approve", {})).status_code == 403
    assert await _stored(platform, scene, item.storage_key)

    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        assert 'href="/disposals"' in (await client.get("/cases")).text
        listed = await client.get("/disposals")
        assert "Duplicate of T/1" in listed.text
        approved = await submit(client, f"/disposals/{disposal.id}/approve", {})
        assert "Disposal approved" in approved.text
        assert "data-tombstone" in approved.text
        assert item.sha256 in approved.text
        assert (await client.get(f"/items/{item_id}/preview")).status_code == 410
        gone = await client.get(f"/items/{item_id}/download", params={"reason": "x"})
        assert gone.status_code == 410
        again = await submit(client, f"/disposals/{disposal.id}/approve", {})
        assert "already done" in again.text

    assert not await _stored(platform, scene, item.storage_key)
    assert not await _stored(platform, scene, derivative.storage_key)
    tombstone = await _item(platform, scene, item_id)
    assert tombstone.review_state == ReviewState.DISPOSED
    assert tombstone.sha256 == item.sha256
    assert tombstone.disposed_at is not None
    [event] = await audit_events(platform, scene.force_id, "item.disposed")
    assert event.actor == f"user:{supervisor.user_id}"
    assert event.reason == "Duplicate of T/1"
    assert event.details["requested_by"] == f"user:{scene.officer_id}"
    assert await audit_events(platform, scene.force_id, "evidence.received")  # trail remains
    async with platform.force_session(scene.force_id) as session:
        assert (await verify_force_chain(session, scene.force_id)).ok
    verified = run_exhibit(settings, "audit", "verify", "--force", "kent")
    assert verified.returncode == 0, verified.stderr
    assert "kent: ok" in verified.stdout


async def test_nobody_approves_their_own_disposal_request(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR)
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        await client.get(f"/items/{item_id}")
        await submit(client, f"/items/{item_id}/disposal", {"reason": "Not evidence"})
        page = await client.get(f"/items/{item_id}")
        assert "Approve disposal" not in page.text
        async with platform.force_session(scene.force_id) as session:
            disposal = await session.scalar(select(DisposalRequest))
        assert disposal is not None
        own = await submit(client, f"/disposals/{disposal.id}/approve", {})
        assert "Another supervisor or evidence manager must approve" in own.text
        refused = await submit(client, f"/disposals/{disposal.id}/refuse", {"note": "no"})
        assert "cannot decide on your own" in refused.text
    item = await _item(platform, scene, item_id)
    assert item.review_state == ReviewState.PENDING
    assert await _stored(platform, scene, item.storage_key)


async def test_without_approval_the_requester_disposes_at_once(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    async with platform.system_session() as session:
        await session.execute(
            update(Force).where(Force.id == scene.force_id).values(disposal_needs_approval=False)
        )
        await session.commit()
    item_id = await arrived(platform, scene, png())
    item = await _item(platform, scene, item_id)
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{item_id}")
        done = await submit(client, f"/items/{item_id}/disposal", {"reason": "Witness withdrew"})
        assert "Disposed of: the stored file is destroyed" in done.text
    assert not await _stored(platform, scene, item.storage_key)
    assert (await _item(platform, scene, item_id)).review_state == ReviewState.DISPOSED
    [event] = await audit_events(platform, scene.force_id, "item.disposed")
    assert event.actor == f"user:{scene.officer_id}"
    async with platform.force_session(scene.force_id) as session:
        assert (await verify_force_chain(session, scene.force_id)).ok


class HeldStorage(LocalDiskStorage):
    """The local store with a legal hold: held objects refuse deletion, as S3 Object Lock does."""

    key: ClassVar[str] = "held"
    holds: ClassVar[set[str]] = set()

    async def delete(self, object_key: str) -> None:
        """Refuse to delete a held object."""
        if object_key in self.holds:
            raise RetentionActive(f"{object_key} is under legal hold")
        await super().delete(object_key)


class QueryableHeldStorage(HeldStorage):
    """The held store that also says what it protects, so nothing is tried before asking."""

    async def retention(self, object_key: str) -> Retention:
        """A legal hold on held objects, nothing on the rest."""
        return Retention(mode=None, until=None, legal_hold=object_key in self.holds)

    async def delete(self, object_key: str) -> None:
        """Deleting a held object here means the question was not asked first."""
        assert object_key not in self.holds, "deleted without asking about retention"
        await super().delete(object_key)


class HeldStoragePlugin:
    """Offers a held store (refusing at delete, or saying so when asked first)."""

    def __init__(self, store: type[HeldStorage]) -> None:
        self.store = store

    @hookimpl
    def exhibit_storage_backends(self) -> Sequence[type[StorageBackend]]:
        """The held store, key ``held``."""
        return [self.store]


@pytest.fixture(params=[HeldStorage, QueryableHeldStorage])
def held_platform(settings: Settings, request: pytest.FixtureRequest) -> Platform:
    """A second platform over the test's database whose plugins include a held store."""
    plugin = HeldStoragePlugin(request.param)
    return Platform(settings, load_builtin_plugins([("held_storage", plugin)]))


async def test_a_store_under_retention_refuses_and_nothing_changes(
    settings: Settings, platform: Platform, held_platform: Platform
) -> None:
    scene = await make_scene(platform)
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR)
    item_id = await arrived(platform, scene, png())
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        item.storage_backend = "held"  # the same folder, read through the held store
        key = item.storage_key
    async with force_transaction(held_platform, scene.force_id) as tx:
        await configure_plugin(
            tx.session,
            held_platform.plugins,
            held_platform.secret_box,
            scene.force_id,
            "held_storage",
            enabled=True,
            config=None,
            actor="test",
        )
    HeldStorage.holds.add(key)
    try:
        officer_user = await _user(held_platform, scene)
        async with force_transaction(held_platform, scene.force_id) as tx:
            item = await tx.session.get(EvidenceItem, item_id)
            assert item is not None
            disposal = await request_disposal(held_platform, tx, item, officer_user, "Dup")
        approver = await _user(held_platform, scene, supervisor.user_id)
        with pytest.raises(DisposalRefused, match="retention or legal hold"):
            async with force_transaction(held_platform, scene.force_id) as tx:
                found = await tx.session.get(DisposalRequest, disposal.id)
                assert found is not None
                await approve_disposal(held_platform, tx, found, approver)
    finally:
        HeldStorage.holds.discard(key)
        await held_platform.close()
    assert await _stored(platform, scene, key, "local")
    item = await _item(platform, scene, item_id)
    assert item.review_state == ReviewState.PENDING
    assert item.disposed_at is None
    assert await audit_events(platform, scene.force_id, "item.disposed") == []


async def _user(platform: Platform, scene: Scene, user_id: int | None = None) -> User:
    async with platform.force_session(scene.force_id) as session:
        user = await session.get(User, user_id or scene.officer_id)
        assert user is not None
        return user
