"""``exhibit evidence verify``: the store checked against the database, on the local store.

Evidence arrives through the real ingest path; the store is then damaged behind Exhibit's
back, as a bad restore or a failing disk would, and the real command is run.
"""

import os
import re
import subprocess
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import event, update

from exhibit.db.base import utcnow
from exhibit.evidence import fixity
from exhibit.evidence.disposal import destroy_stored_objects, make_tombstone
from exhibit.evidence.fixity import EVIDENCE_PREFIXES, Finding, Mode, Problem, check_force
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.platform import Platform
from exhibit.plugins import hookimpl
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.storage.backend import StorageBackend, put_object
from exhibit.storage.local import LocalDiskStorage
from exhibit.uploads.models import Upload
from tests.evidence.arrivals import arrived, docx, png, with_derivative
from tests.fixtures.cli import invoke_exhibit
from tests.fixtures.officer import audit_events
from tests.fixtures.witness import Scene, chunks, make_scene, received_upload

CASE = "KENT/123/26"


def verify(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command against the test's database and store."""
    return invoke_exhibit(settings, "evidence", "verify", *args)


def object_path(settings: Settings, key: str, slug: str = "kent") -> Path:
    """Where the local store keeps ``key`` of force ``slug``."""
    return settings.storage_dir / slug / "objects" / key


async def item_key(platform: Platform, force_id: int, item_id: int) -> str:
    async with platform.force_session(force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        assert item is not None
        return item.storage_key


async def checks(platform: Platform, force_id: int) -> list[dict[str, Any]]:
    return [e.details for e in await audit_events(platform, force_id, "evidence.fixity_checked")]


async def dispose(platform: Platform, force_id: int, item_id: int, *, destroy: bool) -> None:
    """Make the item a tombstone, with its stored objects destroyed or (a fault) left."""
    async with force_transaction(platform, force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        if destroy:
            await destroy_stored_objects(platform, tx, item)
        await make_tombstone(tx.session, item)


async def kent_with_evidence(platform: Platform) -> tuple[Scene, list[int]]:
    """Force kent with a photo (and its derivative), a quarantined document, and an item
    disposed of properly."""
    scene = await make_scene(platform)
    photo = await arrived(platform, scene, png())
    await with_derivative(platform, scene, photo, png(8, 6))
    quarantined = await arrived(platform, scene, docx(), filename="statement.docx")
    disposed = await arrived(platform, scene, png(colour=(0, 0, 200)))
    await dispose(platform, scene.force_id, disposed, destroy=True)
    return scene, [photo, quarantined, disposed]


async def test_a_clean_force_passes_both_checks_and_each_run_is_audited(
    platform: Platform, settings: Settings
) -> None:
    scene, _ = await kent_with_evidence(platform)

    quick = verify(settings, "--force", "kent")
    full = verify(settings, "--force", "kent", "--full")

    assert quick.returncode == 0, quick.stderr
    assert quick.stdout.splitlines() == [
        "kent: quick check of 3 items (2 originals, 1 derivatives, 1 disposed of): all well"
    ]
    assert full.returncode == 0, full.stderr
    assert full.stdout.startswith("kent: full check of 3 items (2 originals, 1 derivatives, ")
    assert full.stdout.rstrip().endswith("read): all well")
    first, second = await checks(platform, scene.force_id)
    assert first["mode"] == "quick"
    assert second["mode"] == "full"
    assert second["bytes_read"] > 0
    for details in (first, second):
        assert details["items"] == 3
        assert details["originals"] == 2
        assert details["tombstones"] == 1
        assert details["missing"] == details["changed"] == details["orphans"] == 0
        assert details["orphans_not_searched_in"] == []


async def test_a_deleted_original_is_reported_missing_and_every_force_is_checked(
    platform: Platform, settings: Settings
) -> None:
    scene, (photo, quarantined, _) = await kent_with_evidence(platform)
    await make_scene(platform, "essex")
    key = await item_key(platform, scene.force_id, quarantined)
    object_path(settings, key).unlink()

    result = verify(settings)

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "essex: quick check of 0 items (0 originals, 0 derivatives, 0 disposed of): all well",
        f"kent: MISSING item {quarantined} (case {CASE}) {key}: original is missing from the store",
        "kent: quick check of 3 items (2 originals, 1 derivatives, 1 disposed of): 1 missing",
    ]
    (details,) = await checks(platform, scene.force_id)
    assert details["missing"] == 1
    assert details["items_missing"] == [quarantined]
    assert photo not in details["items_missing"]


async def test_a_truncated_original_is_found_by_the_quick_check(
    platform: Platform, settings: Settings
) -> None:
    scene, (photo, _, _) = await kent_with_evidence(platform)
    key = await item_key(platform, scene.force_id, photo)
    path = object_path(settings, key)
    size = path.stat().st_size
    os.truncate(path, size - 10)

    result = verify(settings, "--force", "kent")

    assert result.returncode == 1, result.stderr
    assert (
        f"kent: CHANGED item {photo} (case {CASE}) {key}: original holds {size - 10} bytes "
        f"where the record says {size}"
    ) in result.stdout.splitlines()
    (details,) = await checks(platform, scene.force_id)
    assert details["changed"] == 1
    assert details["items_changed"] == [photo]


async def test_a_same_size_alteration_is_found_only_by_the_full_check(
    platform: Platform, settings: Settings
) -> None:
    scene, (photo, _, _) = await kent_with_evidence(platform)
    key = await item_key(platform, scene.force_id, photo)
    path = object_path(settings, key)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))

    quick = verify(settings, "--force", "kent")
    full = verify(settings, "--force", "kent", "--full")

    assert quick.returncode == 0, quick.stdout
    assert full.returncode == 1, full.stderr
    (line,) = [line for line in full.stdout.splitlines() if "CHANGED" in line]
    assert line.startswith(f"kent: CHANGED item {photo} (case {CASE}) {key}: original has SHA-256 ")
    assert "where the record says" in line
    quick_details, full_details = await checks(platform, scene.force_id)
    assert quick_details["changed"] == 0
    assert full_details["changed"] == 1
    assert full_details["items_changed"] == [photo]


async def test_a_damaged_derivative_is_reported_against_its_item(
    platform: Platform, settings: Settings
) -> None:
    scene = await make_scene(platform)
    photo = await arrived(platform, scene, png())
    derivative = await with_derivative(platform, scene, photo, png(8, 6))
    object_path(settings, derivative.storage_key).unlink()

    result = verify(settings, "--force", "kent")

    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        f"kent: MISSING item {photo} (case {CASE}) {derivative.storage_key}: "
        f"derivative {derivative.id} is missing from the store"
    )
    (details,) = await checks(platform, scene.force_id)
    assert details["derivatives_missing"] == [derivative.id]
    assert "items_missing" not in details


async def test_an_object_no_record_names_is_an_orphan(
    platform: Platform, settings: Settings
) -> None:
    scene, _ = await kent_with_evidence(platform)
    async with platform.force_session(scene.force_id) as session:
        store = platform.storage(await force_info(session, scene.force_id), "local")
    # Written behind the database's back, as a restore of a newer store would leave it.
    await put_object(store, "originals/999/left-behind", chunks(b"nobody knows me"))

    result = verify(settings, "--force", "kent")

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[0] == (
        "kent: ORPHAN originals/999/left-behind: no item or derivative names it (local)"
    )
    (details,) = await checks(platform, scene.force_id)
    assert details["orphans"] == 1
    assert details["orphan_keys"] == ["originals/999/left-behind"]


async def completed_upload(
    platform: Platform, scene: Scene, filename: str, *, terminated: bool = False
) -> str:
    """An upload whose last byte arrived and whose object is complete but not yet ingested
    (or, ``terminated``, given up with its object left behind); return its key."""
    upload_id = await received_upload(
        platform, scene, png(), filename=filename, declared_type="image/png"
    )
    async with force_transaction(platform, scene.force_id) as tx:
        upload = await tx.session.get(Upload, upload_id)
        assert upload is not None
        await platform.storage(tx.force, "local").complete(upload.storage_key, upload.storage_state)
        if terminated:
            upload.terminated_at = utcnow()
        return upload.storage_key


async def test_the_orphan_search_looks_keys_up_a_batch_at_a_time_within_the_force(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fixity, "KEYS_PER_LOOKUP", 2)
    scene, _ = await kent_with_evidence(platform)
    async with platform.force_session(scene.force_id) as session:
        store = platform.storage(await force_info(session, scene.force_id), "local")
    assert isinstance(store, LocalDiskStorage)
    named = [key for prefix in EVIDENCE_PREFIXES async for key in store.list_objects(prefix)]
    arriving = await completed_upload(platform, scene, "arriving.png")
    given_up = await completed_upload(platform, scene, "given-up.png", terminated=True)
    essex = await make_scene(platform, "essex")
    theirs = await arrived(platform, essex, png(colour=(0, 0, 9)))
    essex_keys = [
        await item_key(platform, essex.force_id, theirs),
        (await with_derivative(platform, essex, theirs, png(4, 4))).storage_key,
        await completed_upload(platform, essex, "theirs.png"),
    ]
    strays = [f"originals/999/stray-{n}" for n in range(4)]
    strays += [f"derivatives/998/stray-{n}" for n in range(3)]
    # Copies of what essex's records name are still orphans in kent's store.
    for key in strays + essex_keys:
        await put_object(store, key, chunks(b"nobody here knows me"))
    # What the search does, in order: a listing begun, a key listed, a lookup's SQL.
    steps: list[str] = []
    list_objects = LocalDiskStorage.list_objects

    async def listing(self: LocalDiskStorage, prefix: str) -> AsyncIterator[str]:
        steps.append("listing")
        async for key in list_objects(self, prefix):
            steps.append("key")
            yield key

    def lookup(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "storage_key IN" in statement:
            steps.append(statement)

    monkeypatch.setattr(LocalDiskStorage, "list_objects", listing)
    event.listen(platform.engine.sync_engine, "before_cursor_execute", lookup)
    found: list[Finding] = []
    try:
        report = await check_force(
            platform, scene.force_id, Mode.QUICK, actor="test", on_finding=found.append
        )
    finally:
        event.remove(platform.engine.sync_engine, "before_cursor_execute", lookup)

    orphans = [f.key for f in found if f.problem is Problem.ORPHAN]
    assert len(named) == 3
    assert sorted(orphans) == sorted([given_up, *essex_keys, *strays])
    assert report.counts[Problem.ORPHAN] == len(orphans) == 11
    assert not {*named, arriving} & set(orphans)
    (details,) = await checks(platform, scene.force_id)
    assert sorted(details["orphan_keys"]) == sorted(orphans)
    held = asked = batches = 0
    for step in steps:
        if step == "listing":
            held = asked = 0
        elif step == "key":
            if asked:  # the keys held were looked up: the search let them go
                held = asked = 0
            held += 1
            assert held <= 2, steps
        else:
            if not asked:
                batches += 1
            asked += 1
            assert asked <= 3, steps  # one query per kind: uploads, items, derivatives
            (in_list,) = re.findall(r"storage_key IN \(([^)]*)\)", step)
            assert 1 <= len(in_list.split(",")) <= 2, step
    # 10 keys under originals/ and 5 under derivatives/: 5 + 3 batches, each looked up.
    assert batches == 8


async def test_a_tombstone_whose_original_is_still_there_is_reported(
    platform: Platform, settings: Settings
) -> None:
    scene = await make_scene(platform)
    photo = await arrived(platform, scene, png())
    await dispose(platform, scene.force_id, photo, destroy=False)
    key = await item_key(platform, scene.force_id, photo)

    result = verify(settings, "--force", "kent")

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"kent: NOT-DISPOSED item {photo} (case {CASE}) {key}: original is still in the store "
        "although the item was disposed of"
    )
    (details,) = await checks(platform, scene.force_id)
    assert details["not_disposed"] == 1
    assert details["items_not_disposed"] == [photo]


async def test_a_store_that_cannot_be_used_stops_the_check_with_status_2(
    platform: Platform, settings: Settings
) -> None:
    scene, _ = await kent_with_evidence(platform)
    async with platform.system_session() as session:
        await session.execute(
            update(Force).where(Force.id == scene.force_id).values(storage_backend="s3")
        )
        await session.commit()

    result = verify(settings, "--force", "kent")
    unknown = verify(settings, "--force", "nowhere")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "kent: the check could not run: store 's3' cannot be used" in result.stderr
    assert "Traceback" not in result.stderr
    assert await checks(platform, scene.force_id) == []
    assert unknown.returncode == 2
    assert "no force 'nowhere'" in unknown.stderr


class PlainStorage(LocalDiskStorage):
    """The local store without the optional sizes and listing, as a minimal plugin's."""

    key: ClassVar[str] = "plain"
    object_size = None  # type: ignore[assignment]  # None blocks a runtime-checkable protocol
    list_objects = None  # type: ignore[assignment]


class PlainStoragePlugin:
    """Offers the plain store, key ``plain``."""

    @hookimpl
    def exhibit_storage_backends(self) -> Sequence[type[StorageBackend]]:
        """The plain store."""
        return [PlainStorage]


async def test_a_store_without_sizes_or_listing_is_still_checked_and_says_what_it_could_not(
    platform: Platform, settings: Settings
) -> None:
    plain = Platform(settings, load_builtin_plugins([("plain_storage", PlainStoragePlugin())]))
    try:
        scene, (photo, _, _) = await kent_with_evidence(platform)
        async with force_transaction(plain, scene.force_id) as tx:
            await configure_plugin(
                tx.session,
                plain.plugins,
                plain.secret_box,
                scene.force_id,
                "plain_storage",
                enabled=True,
                config=None,
                actor="test",
            )
            # The whole force moves to the plain store (the same folder).
            for model, owner in (
                (Force, Force.id),
                (EvidenceItem, EvidenceItem.force_id),
                (Derivative, Derivative.force_id),
            ):
                await tx.session.execute(
                    update(model).where(owner == scene.force_id).values(storage_backend="plain")
                )
        key = await item_key(platform, scene.force_id, photo)
        os.truncate(object_path(settings, key), 3)
        found: list[Finding] = []

        report = await check_force(
            plain, scene.force_id, Mode.QUICK, actor="test", on_finding=found.append
        )
    finally:
        await plain.close()

    assert [(f.problem, f.item_id) for f in found] == [(Problem.CHANGED, photo)]
    assert report.unlisted == ["plain"]
    (details,) = await checks(platform, scene.force_id)
    assert details["orphans_not_searched_in"] == ["plain"]
