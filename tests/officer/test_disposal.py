"""Disposal: a reason, a second person's approval where the force wants one, the bytes gone
from the store, a tombstone and an audit chain that still verifies."""

from collections.abc import Sequence
from typing import ClassVar

import pytest
from sqlalchemy import select, update

from exhibit.accounts.models import Role, User
from exhibit.audit.verify import verify_force_chain
from exhibit.evidence.disposal import DisposalRefused, approve_disposal, request_disposal
from exhibit.evidence.models import (
    Category,
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
from exhibit.storage.backend import ObjectNotFound, RetentionActive, StorageBackend
from exhibit.storage.capabilities import Retention
from exhibit.storage.local import LocalDiskStorage
from tests.evidence.arrivals import DOCX, arrived, docx, png, with_derivative
from tests.fixtures.cli import invoke_exhibit
from tests.fixtures.officer import audit_events, browser, make_user, sign_in, submit
from tests.fixtures.witness import Scene, make_scene
from tests.officer.field_errors import assert_refused_by_field

OFFICER = "officer@kent.test"


async def _item(platform: Platform, scene: Scene, item_id: int) -> EvidenceItem:
    async with platform.force_session(scene.force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        assert item is not None
        return item


async def _declined(platform: Platform, scene: Scene, item_id: int, reason: str = "Dup") -> None:
    """Decline the item as the scene's officer: disposal follows a review decision."""
    officer = await _user(platform, scene)
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        assert item is not None
        await decline(tx, item, officer, reason)


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
    await _declined(platform, scene, item_id, "Duplicate of T/1")
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
        approval = f"/disposals/{disposal.id}/approve"
        assert (await client.get(approval)).status_code == 403
        assert (await submit(client, approval, {"reason": "Agreed"})).status_code == 403
    assert await _stored(platform, scene, item.storage_key)

    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        assert 'href="/disposals"' in (await client.get("/cases")).text
        listed = await client.get("/disposals")
        assert "Duplicate of T/1" in listed.text
        approved = await submit(client, approval, {"reason": "Agreed: T/1 is the same file"})
        assert "Disposal approved" in approved.text
        assert "data-tombstone" in approved.text
        assert "Approved because: Agreed: T/1 is the same file" in approved.text
        assert item.sha256 in approved.text
        assert (await client.get(f"/items/{item_id}/preview")).status_code == 410
        gone = await client.get(f"/items/{item_id}/download", params={"reason": "x"})
        assert gone.status_code == 410
        again = await submit(client, approval, {"reason": "Agreed"})
        assert "already done" in again.text
        assert "already done" in (await client.get(approval)).text

    assert not await _stored(platform, scene, item.storage_key)
    assert not await _stored(platform, scene, derivative.storage_key)
    tombstone = await _item(platform, scene, item_id)
    assert tombstone.review_state == ReviewState.DISPOSED
    assert tombstone.sha256 == item.sha256
    assert tombstone.disposed_at is not None
    [event] = await audit_events(platform, scene.force_id, "item.disposed")
    assert event.actor == f"user:{supervisor.user_id}"
    assert event.reason == "Agreed: T/1 is the same file"
    assert event.details["requested_by"] == f"user:{scene.officer_id}"
    assert event.details["request_reason"] == "Duplicate of T/1"
    assert await audit_events(platform, scene.force_id, "evidence.received")  # trail remains
    async with platform.force_session(scene.force_id) as session:
        assert (await verify_force_chain(session, scene.force_id)).ok
    verified = invoke_exhibit(settings, "audit", "verify", "--force", "kent")
    assert verified.returncode == 0, verified.stderr
    assert "kent: ok" in verified.stdout


async def test_approving_shows_what_will_be_destroyed_and_needs_the_approvers_reason(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png(), filename="car park.png")
    async with force_transaction(platform, scene.force_id) as tx:
        category = Category(force_id=scene.force_id, name="Dashcam", retention_days=400)
        tx.session.add(category)
        await tx.session.flush()
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        item.category_id = category.id
        officer = await tx.session.get(User, scene.officer_id)
        assert officer is not None
        await decline(tx, item, officer, "Wrong incident")
        disposal = await request_disposal(platform, tx, item, officer, "Wrong incident")
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR, name="Sgt Ann Lee")
    approval = f"/disposals/{disposal.id}/approve"
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        item_page = await client.get(f"/items/{item_id}")
        assert f'href="{approval}"' in item_page.text
        assert f'action="{approval}"' not in item_page.text  # no one-click destruction

        confirm = await client.get(approval)
        assert confirm.status_code == 200
        for shown in (
            "car park.png",
            item.sha256,
            f"{item.size:,} bytes",
            "KENT/123/26",
            "PC Test",
            "Wrong incident",
            "Dashcam (kept 400 days)",
            f'action="{approval}"',
        ):
            assert shown in confirm.text, shown
        assert await _stored(platform, scene, item.storage_key)

        blank = await submit(client, approval, {"reason": "   "})
        assert blank.status_code == 400
        assert "govuk-error-summary" in blank.text
        assert 'href="#reason"' in blank.text
        assert "Give a reason to approve the disposal" in blank.text
        assert item.sha256 in blank.text
        assert await _stored(platform, scene, item.storage_key)
        assert (await _item(platform, scene, item_id)).review_state == ReviewState.DECLINED

        approved = await submit(client, approval, {"reason": "  Agreed with PC Test  "})
        assert "Disposal approved" in approved.text
    assert not await _stored(platform, scene, item.storage_key)
    [event] = await audit_events(platform, scene.force_id, "item.disposed")
    assert (event.actor, event.reason) == (f"user:{supervisor.user_id}", "Agreed with PC Test")
    assert event.details["request_reason"] == "Wrong incident"
    async with platform.force_session(scene.force_id) as session:
        decided = await session.get(DisposalRequest, disposal.id)
        assert decided is not None
        assert decided.decision_note == "Agreed with PC Test"
    # The rule is the domain's, whoever calls it.
    approver = await _user(platform, scene, supervisor.user_id)
    with pytest.raises(DisposalRefused, match="give a reason to approve"):
        async with force_transaction(platform, scene.force_id) as tx:
            pending = DisposalRequest(
                force_id=scene.force_id, item_id=item_id, requested_by=scene.officer_id, reason="x"
            )
            tx.session.add(pending)
            await tx.session.flush()
            await approve_disposal(platform, tx, pending, approver, " \t")


async def test_nobody_approves_their_own_disposal_request(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    await _declined(platform, scene, item_id)
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
        own = await submit(client, f"/disposals/{disposal.id}/approve", {"reason": "Mine"})
        assert "Another supervisor or evidence manager must approve" in own.text
        confirm = await client.get(f"/disposals/{disposal.id}/approve")
        assert "Another supervisor or evidence manager must approve" in confirm.text
        refused = await submit(client, f"/disposals/{disposal.id}/refuse", {"note": "no"})
        assert "cannot decide on your own" in refused.text
    item = await _item(platform, scene, item_id)
    assert item.review_state == ReviewState.DECLINED
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
    await _declined(platform, scene, item_id, "Witness withdrew")
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
    await _declined(platform, scene, item_id)
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
                await approve_disposal(held_platform, tx, found, approver, "Agreed")
    finally:
        HeldStorage.holds.discard(key)
        await held_platform.close()
    assert await _stored(platform, scene, key, "local")
    item = await _item(platform, scene, item_id)
    assert item.review_state == ReviewState.DECLINED
    assert item.disposed_at is None
    assert await audit_events(platform, scene.force_id, "item.disposed") == []


async def _user(platform: Platform, scene: Scene, user_id: int | None = None) -> User:
    async with platform.force_session(scene.force_id) as session:
        user = await session.get(User, user_id or scene.officer_id)
        assert user is not None
        return user


async def test_an_item_nobody_has_reviewed_is_declined_before_its_disposal(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    held_id = await arrived(platform, scene, docx(), filename="held.docx", declared_type=DOCX)
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        page = await client.get(f"/items/{item_id}")
        assert "Dispose of this item" not in page.text
        assert "data-disposal-hint" in page.text
        refused = await submit(client, f"/items/{item_id}/disposal", {"reason": "Duplicate"})
        assert "has not been reviewed; decline it, saying why" in refused.text
        async with platform.force_session(scene.force_id) as session:
            assert list(await session.scalars(select(DisposalRequest))) == []

        # What quarantine found is a finding: a quarantined file may go without a review.
        held = await client.get(f"/items/{held_id}")
        assert "Dispose of this item" in held.text
        asked = await submit(client, f"/items/{held_id}/disposal", {"reason": "Malware"})
        assert "Disposal requested" in asked.text

        await submit(client, f"/items/{item_id}/decline", {"reason": "Duplicate of T/1"})
        declined = await client.get(f"/items/{item_id}")
        assert "Dispose of this item" in declined.text
        asked = await submit(client, f"/items/{item_id}/disposal", {"reason": "Duplicate"})
        assert "Disposal requested" in asked.text
    assert len(await audit_events(platform, scene.force_id, "item.disposal_requested")) == 2


async def test_a_pending_disposal_freezes_the_review_until_it_is_decided(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    await _declined(platform, scene, item_id, "Wrong incident")
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR)
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        before = await client.get(f"/items/{item_id}")
        assert 'data-action="accept"' in before.text
        assert 'name="category_id"' in before.text
        await submit(client, f"/items/{item_id}/disposal", {"reason": "Wrong incident"})
        frozen = await client.get(f"/items/{item_id}")
        assert "data-review-frozen" in frozen.text
        for gone in ('data-action="accept"', 'name="category_id"', "Dispose of this item"):
            assert gone not in frozen.text, gone
        assert f'action="/items/{item_id}/tags"' in frozen.text  # still describable
        refused = await submit(client, f"/items/{item_id}/accept", {})
        assert "is awaiting a decision; its review can change again" in refused.text
        # Posted from a page loaded before the freeze: the refusal is listed, and not linked
        # to a field the page no longer has.
        for action, form in (("category", {"category_id": ""}), ("decline", {"reason": "Dup"})):
            late = await submit(client, f"/items/{item_id}/{action}", form)
            assert late.status_code == 400
            summary = late.text.split('govuk-error-summary__list">')[1].split("</ul>")[0]
            assert "is awaiting a decision; its review can change again" in summary
            assert 'href="#' not in summary
            assert 'name="category_id"' not in late.text
            assert 'id="decline-reason"' not in late.text
    assert (await _item(platform, scene, item_id)).review_state == ReviewState.DECLINED

    async with platform.force_session(scene.force_id) as session:
        disposal = await session.scalar(select(DisposalRequest))
    assert disposal is not None
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        await client.get(f"/items/{item_id}")
        await submit(client, f"/disposals/{disposal.id}/refuse", {"note": "Keep it"})
        assert 'data-action="accept"' in (await client.get(f"/items/{item_id}")).text
        accepted = await submit(client, f"/items/{item_id}/accept", {})
        assert "Accepted as exhibit T/1." in accepted.text
    assert await _stored(platform, scene, (await _item(platform, scene, item_id)).storage_key)


async def test_asking_or_refusing_without_a_reason_comes_back_by_the_field(
    settings: Settings, platform: Platform
) -> None:
    """The server, not the browser's bubble, refuses a blank reason: the item page again
    (400), the summary leading to the field, the field keeping what was typed."""
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    await _declined(platform, scene, item_id)
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR)
    too_long = "Duplicate " * 201
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{item_id}")
        blank = await submit(client, f"/items/{item_id}/disposal", {"reason": "  "})
        assert_refused_by_field(blank, "disposal-reason", "Give a reason for disposal", "  ")
        assert '<details class="govuk-details" open>' in blank.text  # the field is in view
        long = await submit(client, f"/items/{item_id}/disposal", {"reason": too_long})
        message = "A reason is at most 2000 characters"
        assert_refused_by_field(long, "disposal-reason", message, too_long)
        async with platform.force_session(scene.force_id) as session:
            assert list(await session.scalars(select(DisposalRequest))) == []
        await submit(client, f"/items/{item_id}/disposal", {"reason": "Duplicate"})

    async with platform.force_session(scene.force_id) as session:
        disposal = await session.scalar(select(DisposalRequest))
    assert disposal is not None
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        await client.get(f"/items/{item_id}")
        refuse = f"/disposals/{disposal.id}/refuse"
        blank = await submit(client, refuse, {"note": " "})
        assert_refused_by_field(blank, "refuse-note", "Give a reason to refuse", " ")
        assert f'action="{refuse}"' in blank.text
    async with platform.force_session(scene.force_id) as session:
        found = await session.get(DisposalRequest, disposal.id)
        assert found is not None
        assert (found.state, found.decided_by) == (DisposalState.PENDING, None)
    assert await audit_events(platform, scene.force_id, "item.disposal_refused") == []
    assert len(await audit_events(platform, scene.force_id, "item.disposal_requested")) == 1
    assert (await _item(platform, scene, item_id)).review_state == ReviewState.DECLINED


async def test_the_disposals_list_names_the_case_and_links_straight_to_approval(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)  # case KENT/123/26
    theirs, mine = [await arrived(platform, scene, png(colour=(c, 5, 5))) for c in (1, 2)]
    for item_id in (theirs, mine):
        await _declined(platform, scene, item_id)
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR, name="Sgt Ann Lee")
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{theirs}")
        await submit(client, f"/items/{theirs}/disposal", {"reason": "Duplicate"})
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        await client.get(f"/items/{mine}")
        await submit(client, f"/items/{mine}/disposal", {"reason": "Wrong incident"})
        async with platform.force_session(scene.force_id) as session:
            asked = {d.item_id: d.id for d in await session.scalars(select(DisposalRequest))}

        listed = await client.get("/disposals")
        assert f'href="/cases/{scene.case_id}">KENT/123/26</a>' in listed.text
        assert f'href="/disposals/{asked[theirs]}/approve"' in listed.text
        # Nobody approves their own request: no link, and the list says why.
        assert f'href="/disposals/{asked[mine]}/approve"' not in listed.text
        assert "Your own request: another approver decides" in listed.text
        approval = await client.get(f"/disposals/{asked[theirs]}/approve")
        assert approval.status_code == 200
        assert "Approve disposal and destroy the file" in approval.text


def _menu(html: str) -> str:
    return html.split('id="navigation"')[1].split("</ul>")[0]


async def test_the_menu_leads_those_who_decide_to_the_disposals_waiting_with_a_count(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_ids = [await arrived(platform, scene, png(8 + n, 6)) for n in range(2)]
    officer = await _user(platform, scene)
    disposals = []
    for item_id in item_ids:
        await _declined(platform, scene, item_id)
        async with force_transaction(platform, scene.force_id) as tx:
            item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
            assert item is not None
            disposals.append(await request_disposal(platform, tx, item, officer, "Dup"))
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR, name="Sgt Ann Lee")
    essex = await make_user(platform, "essex", Role.EVIDENCE_MANAGER)

    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        assert 'href="/disposals"' not in _menu((await client.get("/cases")).text)
    async with browser(settings) as client:
        await sign_in(client, essex.email)  # another force's requests are not theirs to count
        menu = _menu((await client.get("/cases")).text)
        assert 'href="/disposals"' in menu
        assert "data-disposals-waiting" not in menu
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        menu = _menu((await client.get("/audit")).text)
        assert 'href="/disposals"' in menu
        assert 'data-disposals-waiting="2">2<span class="govuk-visually-hidden">' in menu
        assert "awaiting a decision" in menu
        listed = await client.get("/disposals")
        assert 'aria-current="page"' in _menu(listed.text).split('href="/disposals"')[1]
        refused = await submit(client, f"/disposals/{disposals[0].id}/refuse", {"note": "Keep"})
        assert 'data-disposals-waiting="1"' in _menu(refused.text)
