"""Review decisions through the services: references, declining, tags, categories."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from exhibit.accounts.models import User
from exhibit.db.base import utcnow
from exhibit.evidence import review
from exhibit.evidence.categories import add_category
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.evidence.references import BadReferenceFormat, check_format, initials
from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.platform import Platform
from exhibit.plugins import hookimpl
from exhibit.plugins.context import ForceInfo, ItemInfo
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from tests.evidence.arrivals import arrived, png
from tests.fixtures.officer import audit_events
from tests.fixtures.witness import Scene, make_scene


async def _user(platform: Platform, scene: Scene) -> User:
    async with platform.force_session(scene.force_id) as session:
        user = await session.get(User, scene.officer_id)
        assert user is not None
        return user


async def _accept(platform: Platform, scene: Scene, item_id: int) -> str:
    user = await _user(platform, scene)
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        assert item is not None
        return await review.accept(tx, item, user)


async def _item(platform: Platform, scene: Scene, item_id: int) -> EvidenceItem:
    async with platform.force_session(scene.force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        assert item is not None
        return item


def test_initials_leave_out_rank_and_title() -> None:
    assert initials("PC Jo Smith") == "JS"
    assert initials("DS Mary-Ann O'Neill") == "MAON"
    assert initials("") == "X"
    check_format("{initials}/{n}")
    with pytest.raises(BadReferenceFormat):
        check_format("{initials}/")
    with pytest.raises(BadReferenceFormat):
        check_format("{n}/{badge}")


async def test_accept_numbers_exhibits_per_case_and_officer(platform: Platform) -> None:
    scene = await make_scene(platform)
    first, second = [await arrived(platform, scene, png(colour=(i, 0, 0))) for i in (1, 2)]
    assert await _accept(platform, scene, first) == "T/1"  # "PC Test": the rank is dropped
    assert await _accept(platform, scene, second) == "T/2"
    item = await _item(platform, scene, first)
    assert item.review_state == ReviewState.ACCEPTED
    assert item.reviewed_by == scene.officer_id
    with pytest.raises(review.ReviewRefused, match="already exhibit T/1"):
        await _accept(platform, scene, first)

    [event, _] = await audit_events(platform, scene.force_id, "item.accepted")
    assert event.details["exhibit_reference"] == "T/1"
    assert event.object_id == str(first)


async def test_the_force_format_is_used(platform: Platform) -> None:
    scene = await make_scene(platform)
    async with platform.system_session() as session:
        await session.execute(
            update(Force)
            .where(Force.id == scene.force_id)
            .values(exhibit_reference_format="{case}-{initials}{n:03d}")
        )
        await session.commit()
    item_id = await arrived(platform, scene, png())
    assert await _accept(platform, scene, item_id) == "KENT/123/26-T001"


async def test_concurrent_accepts_on_one_case_get_distinct_references(platform: Platform) -> None:
    scene = await make_scene(platform)
    ids = [await arrived(platform, scene, png(colour=(i, i, 0))) for i in range(4)]
    references = await asyncio.gather(*(_accept(platform, scene, i) for i in ids))
    assert sorted(references) == ["T/1", "T/2", "T/3", "T/4"]


async def test_decline_needs_a_reason_and_keeps_the_file(platform: Platform) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    user = await _user(platform, scene)
    with pytest.raises(review.ReviewRefused, match="give a reason"):
        async with force_transaction(platform, scene.force_id) as tx:
            item = await tx.session.get(EvidenceItem, item_id)
            assert item is not None
            await review.decline(tx, item, user, "   ")
    assert (await _item(platform, scene, item_id)).review_state == ReviewState.PENDING

    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        await review.decline(tx, item, user, "Shows the wrong car park")
    item = await _item(platform, scene, item_id)
    assert item.review_state == ReviewState.DECLINED
    assert item.decline_reason == "Shows the wrong car park"
    assert item.retain_until is not None
    expected = utcnow() + timedelta(days=90)  # the force's default declined-retention period
    assert abs((item.retain_until - expected).total_seconds()) < 60
    async with platform.force_session(scene.force_id) as session:
        force = await force_info(session, scene.force_id)
    stored = await platform.storage(force, item.storage_backend).stat(item.storage_key)
    assert stored.sha256 == item.sha256  # declined is kept, not destroyed
    [event] = await audit_events(platform, scene.force_id, "item.declined")
    assert event.reason == "Shows the wrong car park"


async def test_tags_categories_and_sensitive_are_audited(platform: Platform) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    user = await _user(platform, scene)
    async with force_transaction(platform, scene.force_id) as tx:
        category = await add_category(
            tx.session, scene.force_id, name="Dashcam", retention_days=365, actor="test"
        )
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        await review.set_tags(tx, item, user, [" plate ", "night", "PLATE", ""])
        await review.categorise(tx, item, user, category)
        await review.set_sensitive(tx, item, user, True, "shows a child")
    item = await _item(platform, scene, item_id)
    assert item.tags == ["plate", "night"]
    assert item.category_id == category.id
    assert item.retain_until is not None
    assert abs((item.retain_until - utcnow() - timedelta(days=365)).total_seconds()) < 60
    assert item.sensitive
    [tagged] = await audit_events(platform, scene.force_id, "item.tagged")
    assert tagged.details == {"added": ["plate", "night"], "removed": []}
    [categorised] = await audit_events(platform, scene.force_id, "item.categorised")
    assert categorised.details["category"] == "Dashcam"
    [marked] = await audit_events(platform, scene.force_id, "item.marked_sensitive")
    assert marked.reason == "shows a child"
    with pytest.raises(review.ReviewRefused, match="at most 50"):
        review.clean_tags(["x" * 51])


class Recorder:
    """A plugin that notes the review events it hears of."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str | None, str]] = []

    @hookimpl
    async def exhibit_item_accepted(self, force: ForceInfo, item: ItemInfo, actor: str) -> None:
        """Note an acceptance."""
        self.heard.append(("accepted", item.exhibit_reference, actor))

    @hookimpl
    async def exhibit_item_declined(
        self, force: ForceInfo, item: ItemInfo, actor: str, reason: str
    ) -> None:
        """Note a decline."""
        self.heard.append(("declined", reason, actor))


async def test_enabled_plugins_hear_of_decisions_after_the_commit(settings: Settings) -> None:
    setup = Platform(settings, load_builtin_plugins())
    scene = await make_scene(setup)
    first, second = [await arrived(setup, scene, png(colour=(c, 5, 5))) for c in (1, 2)]
    await setup.close()
    recorder = Recorder()
    platform = Platform(settings, load_builtin_plugins([("recorder", recorder)]))
    try:
        async with force_transaction(platform, scene.force_id) as tx:
            await configure_plugin(
                tx.session,
                platform.plugins,
                platform.secret_box,
                scene.force_id,
                "recorder",
                enabled=True,
                config=None,
                actor="test",
            )
        user = await _user(platform, scene)
        await _accept(platform, scene, first)
        async with force_transaction(platform, scene.force_id) as tx:
            item = await tx.session.get(EvidenceItem, second)
            assert item is not None
            await review.decline(tx, item, user, "Out of focus")
            assert recorder.heard == [("accepted", "T/1", f"user:{scene.officer_id}")]
        with pytest.raises(review.ReviewRefused):  # refused: nothing committed, nothing heard
            async with force_transaction(platform, scene.force_id) as tx:
                item = await tx.session.get(EvidenceItem, first)
                assert item is not None
                await review.accept(tx, item, user)
    finally:
        await platform.close()
    actor = f"user:{scene.officer_id}"
    assert recorder.heard == [("accepted", "T/1", actor), ("declined", "Out of focus", actor)]
