"""A store that fails part way through a disposal: nothing is recorded as disposed of while
the original remains, the officer is told why, and carrying it out again finishes the job."""

from collections.abc import Sequence
from typing import ClassVar

import pytest
from sqlalchemy import select, update

from exhibit.accounts.models import User
from exhibit.evidence.disposal import DisposalRefused, request_disposal
from exhibit.evidence.models import (
    Derivative,
    DisposalRequest,
    DisposalState,
    EvidenceItem,
    ReviewState,
)
from exhibit.evidence.review import decline
from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.platform import Platform
from exhibit.plugins import hookimpl
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.storage.backend import ObjectNotFound, StorageBackend, StorageError
from exhibit.storage.local import LocalDiskStorage
from tests.evidence.arrivals import arrived, png, with_derivative
from tests.fixtures.officer import audit_events
from tests.fixtures.witness import make_scene


class FlakyStorage(LocalDiskStorage):
    """The local store (same folder) whose deletes of originals fail while ``down`` is set,
    as a store that drops its connection after the derivatives went."""

    key: ClassVar[str] = "flaky"
    down: ClassVar[bool] = False

    async def delete(self, object_key: str) -> None:
        """Fail on an original while down; otherwise delete as the local store does."""
        if self.down and object_key.startswith("originals/"):
            raise StorageError("the store did not answer")
        await super().delete(object_key)


class FlakyStoragePlugin:
    """Offers the flaky store, key ``flaky``."""

    @hookimpl
    def exhibit_storage_backends(self) -> Sequence[type[StorageBackend]]:
        """The flaky store."""
        return [FlakyStorage]


async def test_a_store_failing_mid_disposal_leaves_no_disposal_recorded_and_a_retry_finishes(
    settings: Settings, platform: Platform
) -> None:
    flaky = Platform(settings, load_builtin_plugins([("flaky_storage", FlakyStoragePlugin())]))
    try:
        scene = await make_scene(platform)
        item_id = await arrived(platform, scene, png())
        derivative = await with_derivative(platform, scene, item_id, png(8, 6))
        async with platform.force_session(scene.force_id) as session:
            officer = await session.get(User, scene.officer_id)
            assert officer is not None
        async with force_transaction(flaky, scene.force_id) as tx:
            await configure_plugin(
                tx.session,
                flaky.plugins,
                flaky.secret_box,
                scene.force_id,
                "flaky_storage",
                enabled=True,
                config=None,
                actor="test",
            )
            force = await tx.session.get(Force, scene.force_id)
            assert force is not None
            force.disposal_needs_approval = False
            for model in (EvidenceItem, Derivative):
                # The same folder, read through the flaky store.
                await tx.session.execute(update(model).values(storage_backend="flaky"))
            item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
            assert item is not None
            await decline(tx, item, officer, "Wrong incident")

        FlakyStorage.down = True
        with pytest.raises(DisposalRefused, match="could not delete"):
            async with force_transaction(flaky, scene.force_id) as tx:
                item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
                assert item is not None
                await request_disposal(flaky, tx, item, officer, "Not evidential")

        async with platform.force_session(scene.force_id) as session:
            kept = await session.get(EvidenceItem, item_id)
            disposals = list(await session.scalars(select(DisposalRequest)))
            local = platform.storage(await force_info(session, scene.force_id), "local")
        assert kept is not None
        assert (kept.review_state, kept.disposed_at) == (ReviewState.DECLINED, None)
        assert disposals == []
        assert await local.stat(kept.storage_key)  # the original is still there
        assert await audit_events(platform, scene.force_id, "item.disposed") == []

        FlakyStorage.down = False
        async with force_transaction(flaky, scene.force_id) as tx:
            item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
            assert item is not None
            disposal = await request_disposal(flaky, tx, item, officer, "Not evidential")
        assert disposal.state == DisposalState.DONE
        for key in (kept.storage_key, derivative.storage_key):
            with pytest.raises(ObjectNotFound):
                await local.stat(key)
        [event] = await audit_events(platform, scene.force_id, "item.disposed")
        assert sorted(event.details["objects_deleted"]) == sorted(
            [kept.storage_key, derivative.storage_key]
        )
    finally:
        FlakyStorage.down = False
        await flaky.close()
