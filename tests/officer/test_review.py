"""Reviewing evidence in the web app: the item page, its actions, and bulk actions."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from exhibit.accounts.models import Role
from exhibit.cases.models import Case
from exhibit.evidence.models import Category, EvidenceItem, ReviewState
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.uploads.models import Submission
from tests.evidence.arrivals import arrived, png
from tests.fixtures.officer import audit_events, browser, make_user, sign_in, submit
from tests.fixtures.witness import make_scene
from tests.officer.field_errors import assert_refused_by_field

OFFICER = "officer@kent.test"


async def _items(platform: Platform, force_id: int) -> dict[int, EvidenceItem]:
    async with platform.force_session(force_id) as session:
        return {i.id: i for i in await session.scalars(select(EvidenceItem))}


async def test_the_item_page_shows_what_an_officer_needs_and_is_audited(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png(), filename="car park.png")
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        item.caption = "The blue van"
        item.capture_metadata = {
            "taken_at": "2026-11-20T21:14:00",
            "device": "Pixel 8",
            "gps": {"latitude": 51.2787, "longitude": 1.0789},
        }
        submission = await tx.session.get(Submission, item.submission_id)
        assert submission is not None
        submission.statement = "I saw it reverse into the car."
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        page = await client.get(f"/items/{item_id}")
    assert page.status_code == 200
    text = page.text
    for expected in (
        "car park.png",
        item.sha256,
        "image/png",
        "The blue van",
        "I saw it reverse into the car.",
        "Sam Witness",
        "Pixel 8",
        "51.278700, 1.078900",
        f'src="/items/{item_id}/preview"',
        "Accept as exhibit",
        f"/items/{item_id}/continuity",
    ):
        assert expected in text, expected
    [viewed] = await audit_events(platform, scene.force_id, "item.viewed")
    assert viewed.actor == f"user:{scene.officer_id}"
    assert viewed.object_id == str(item_id)


async def test_an_unsafe_file_gets_a_placeholder_not_a_preview(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(
        platform,
        scene,
        b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
        filename="letter.pdf",
        declared_type="application/pdf",
    )
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        page = await client.get(f"/items/{item_id}")
        assert 'data-preview="none"' in page.text
        assert f"/items/{item_id}/preview" not in page.text
        assert (await client.get(f"/items/{item_id}/preview")).status_code == 404


async def test_accept_decline_tag_categorise_and_mark_sensitive_from_the_item_page(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    kept, dropped = [await arrived(platform, scene, png(colour=(c, 9, 9))) for c in (1, 2)]
    async with force_transaction(platform, scene.force_id) as tx:
        tx.session.add(Category(force_id=scene.force_id, name="CCTV", retention_days=30))
    async with platform.force_session(scene.force_id) as session:
        cctv = await session.scalar(select(Category.id))
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{kept}")
        accepted = await submit(client, f"/items/{kept}/accept", {})
        assert "Accepted as exhibit T/1." in accepted.text
        assert "data-exhibit-reference>T/1<" in accepted.text

        refused = await submit(client, f"/items/{dropped}/decline", {"reason": " "})
        assert "Give a reason to decline" in refused.text
        declined = await submit(client, f"/items/{dropped}/decline", {"reason": "Not the scene"})
        assert "Declined." in declined.text
        assert "Not the scene" in declined.text

        await submit(client, f"/items/{kept}/tags", {"tags": "van, night"})
        await submit(client, f"/items/{kept}/category", {"category_id": str(cctv)})
        bad = await submit(client, f"/items/{kept}/category", {"category_id": "999"})
        assert "Choose one of your force" in bad.text
        marked = await submit(client, f"/items/{kept}/sensitive", {"sensitive": "yes"})
        assert "data-sensitive" in marked.text

    items = await _items(platform, scene.force_id)
    assert items[kept].review_state == ReviewState.ACCEPTED
    assert items[kept].exhibit_reference == "T/1"
    assert items[kept].tags == ["van", "night"]
    assert items[kept].category_id == cctv
    assert items[kept].sensitive
    assert items[dropped].review_state == ReviewState.DECLINED
    assert items[dropped].decline_reason == "Not the scene"
    assert len(await audit_events(platform, scene.force_id, "item.declined")) == 1


async def test_a_refused_decline_or_tag_comes_back_as_a_400_with_what_was_typed(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    long_tag = "x" * 51
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{item_id}")
        await submit(client, f"/items/{item_id}/tags", {"tags": "van"})

        tagged = await submit(client, f"/items/{item_id}/tags", {"tags": f"night, {long_tag}"})
        assert tagged.status_code == 400
        assert "govuk-error-summary" in tagged.text
        assert 'href="#tags"' in tagged.text
        assert "A tag is at most 50 characters" in tagged.text
        assert f'value="night, {long_tag}"' in tagged.text

        # The browser sends an empty reason (no `required` bubble) for the summary to link.
        form = re.search(r'<form [^>]*action="/items/\d+/decline"[^>]*>', tagged.text)
        assert form and "novalidate" in form.group(0)
        reason = re.search(r'<input [^>]*id="decline-reason"[^>]*>', tagged.text)
        assert reason and "required" not in reason.group(0)
        blank = await submit(client, f"/items/{item_id}/decline", {"reason": "  "})
        assert blank.status_code == 400
        assert 'href="#decline-reason"' in blank.text
        reason = re.search(r'<input [^>]*id="decline-reason"[^>]*>', blank.text)
        assert reason and 'aria-describedby="decline-reason-error"' in reason.group(0)
        assert "Give a reason to decline" in blank.text
        too_long = "Blurred " * 300
        refused = await submit(client, f"/items/{item_id}/decline", {"reason": too_long})
        assert refused.status_code == 400
        assert "A reason is at most 2000 characters" in refused.text
        assert f'value="{too_long}"' in refused.text
        assert 'value="van"' in refused.text  # the other forms show what is saved

    item = (await _items(platform, scene.force_id))[item_id]
    assert (item.tags, item.review_state) == (["van"], ReviewState.PENDING)
    assert await audit_events(platform, scene.force_id, "item.declined") == []


async def test_a_category_the_select_does_not_offer_comes_back_by_the_select(
    settings: Settings, platform: Platform
) -> None:
    """Only a tampered form sends one (none of the force's, another force's, not an id): the
    item page again (400), the summary leading to the select, which still shows the saved
    category; the item keeps it and no categorisation is audited."""
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    essex = await make_user(platform, "essex")
    async with force_transaction(platform, scene.force_id) as tx:
        cctv = Category(force_id=scene.force_id, name="CCTV", retention_days=30)
        tx.session.add(cctv)
    async with force_transaction(platform, essex.force_id) as tx:
        theirs = Category(force_id=essex.force_id, name="Theirs", retention_days=10)
        tx.session.add(theirs)
    url = f"/items/{item_id}/category"
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{item_id}")
        assert "Category: CCTV." in (await submit(client, url, {"category_id": cctv.id})).text
        for sent in ("999", str(theirs.id), "0", "-1", "²", "9" * 30, "CCTV"):
            refused = await submit(client, url, {"category_id": sent})
            must = "Choose one of your force's categories"
            assert_refused_by_field(refused, "category_id", must, str(cctv.id))

    item = (await _items(platform, scene.force_id))[item_id]
    assert item.category_id == cctv.id
    assert len(await audit_events(platform, scene.force_id, "item.categorised")) == 1


async def test_bulk_actions_change_all_selected_items_or_none(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    ids = [await arrived(platform, scene, png(colour=(c, 1, 1))) for c in range(4)]
    url = f"/cases/{scene.case_id}/items/bulk"
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        page = await client.get(f"/cases/{scene.case_id}")
        for item_id in ids:
            assert f'name="item" value="{item_id}"' in page.text
        tagged = await submit(client, url, {"action": "tag", "tag": "van", "item": ids})
        assert "Tag: 4 items done." in tagged.text
        accepted = await submit(client, url, {"action": "accept", "item": ids[:2]})
        assert "Accept: 2 items done." in accepted.text
        no_reason = await submit(client, url, {"action": "decline", "item": ids[2:]})
        assert "Nothing was changed: give a reason to decline" in no_reason.text
        # One selected item is already accepted: nothing changes, not even the other.
        decline = {"action": "decline", "reason": "Dup"}
        mixed = await submit(client, url, {**decline, "item": ids[1:3]})
        assert "Nothing was changed" in mixed.text
        declined = await submit(client, url, {**decline, "item": ids[2:]})
        assert "Decline: 2 items done." in declined.text
        nothing = await submit(client, url, {"action": "accept"})
        assert "Select at least one item" in nothing.text
        for odd in ("²", "9" * 30, "-1"):  # never an id: refused like no selection, not a 500
            refused = await submit(client, url, {"action": "accept", "item": [odd]})
            assert "Select at least one item" in refused.text

    items = await _items(platform, scene.force_id)
    assert sorted(items[i].exhibit_reference or "" for i in ids[:2]) == ["T/1", "T/2"]
    assert [items[i].review_state for i in ids[2:]] == [ReviewState.DECLINED] * 2
    assert all(items[i].tags == ["van"] for i in ids)
    assert len(await audit_events(platform, scene.force_id, "item.accepted")) == 2


async def test_an_auditor_may_look_but_not_review_and_another_force_sees_nothing(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    auditor = await make_user(platform, "kent", Role.AUDITOR)
    stranger = await make_user(platform, "essex", Role.SUPERVISOR)
    async with browser(settings) as client:
        await sign_in(client, auditor.email)
        page = await client.get(f"/items/{item_id}")
        assert page.status_code == 200
        assert "Accept as exhibit" not in page.text
        assert (await submit(client, f"/items/{item_id}/accept", {})).status_code == 403
        bulk = {"action": "accept", "item": [item_id]}
        assert (await submit(client, f"/cases/{scene.case_id}/items/bulk", bulk)).status_code == 403
    async with browser(settings) as client:
        await sign_in(client, stranger.email)
        assert (await client.get(f"/items/{item_id}")).status_code == 404
        assert (await submit(client, f"/items/{item_id}/accept", {})).status_code == 404
        assert (await client.get(f"/items/{item_id}/preview")).status_code == 404
        bulk = {"action": "accept", "item": [item_id]}
        assert (await submit(client, f"/cases/{scene.case_id}/items/bulk", bulk)).status_code == 404
    assert (await _items(platform, scene.force_id))[item_id].review_state == ReviewState.PENDING


def _ticked(html: str) -> set[int]:
    return {
        int(n)
        for n in re.findall(r'<input type="checkbox" name="item" value="(\d+)"[^>]* checked', html)
    }


async def test_a_refused_bulk_action_keeps_the_ticks_the_action_and_the_text(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    ids = [await arrived(platform, scene, png(colour=(c, 2, 2))) for c in range(3)]
    url = f"/cases/{scene.case_id}/items/bulk"
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/cases/{scene.case_id}")
        no_reason = await submit(
            client, url, {"action": "decline", "reason": " ", "tag": "van", "item": ids[:2]}
        )
        assert no_reason.status_code == 400
        assert "Nothing was changed: give a reason to decline" in no_reason.text
        assert 'href="#bulk-reason"' in no_reason.text  # the error summary leads to the field
        assert _ticked(no_reason.text) == set(ids[:2])
        assert '<option value="decline" selected>' in no_reason.text
        assert 'name="tag" type="text" maxlength="50" value="van"' in no_reason.text

        await submit(client, url, {"action": "accept", "item": ids[:1]})
        # One ticked item is an exhibit now: the typed reason survives the refusal.
        mixed = await submit(client, url, {"action": "decline", "reason": "Dup", "item": ids})
        assert mixed.status_code == 400
        assert _ticked(mixed.text) == set(ids)
        assert 'name="reason" type="text" maxlength="2000" value="Dup"' in mixed.text

        unticked = await submit(client, url, {"action": "tag", "tag": "night"})
        assert "Select at least one item" in unticked.text
        assert '<option value="tag" selected>' in unticked.text
        assert 'value="night"' in unticked.text

    items = await _items(platform, scene.force_id)
    assert items[ids[0]].review_state == ReviewState.ACCEPTED
    assert [items[i].review_state for i in ids[1:]] == [ReviewState.PENDING] * 2


def _link(html: str, marker: str) -> int | None:
    found = re.search(rf'href="/items/(\d+)" rel="\w+" {marker}>', html)
    return int(found.group(1)) if found else None


async def test_previous_and_next_item_follow_the_case_page_and_stay_on_the_case(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    ids = [await arrived(platform, scene, png(colour=(c, 3, 3))) for c in range(5)]
    essex = await make_scene(platform, "essex")
    stranger = await arrived(platform, essex, png(colour=(9, 9, 9)))
    at = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    async with force_transaction(platform, scene.force_id) as tx:
        other = Case(force_id=scene.force_id, reference="KENT/999/26")
        tx.session.add(other)
        await tx.session.flush()
        # Received in a different order from their ids, two at the same moment (the case
        # page then lists the higher id first), and one moved to another case.
        for item_id, minutes in zip(ids, (3, 1, 1, 2, 2), strict=True):
            item = await tx.session.get(EvidenceItem, item_id)
            assert item is not None
            item.received_at = at + timedelta(minutes=minutes)
        moved = await tx.session.get(EvidenceItem, ids[4])
        assert moved is not None
        moved.case_id = other.id
    async with force_transaction(platform, essex.force_id) as tx:
        theirs = await tx.session.get(EvidenceItem, stranger)
        assert theirs is not None
        theirs.received_at = at + timedelta(minutes=2)
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        case_page = await client.get(f"/cases/{scene.case_id}")
        rows = re.findall(r'<tr class="govuk-table__row" id="item-(\d+)"', case_page.text)
        listed = [int(i) for i in rows]
        assert listed == [ids[0], ids[3], ids[2], ids[1]]
        walked: list[int] = []
        previous: int | None = None
        current: int | None = listed[0]
        while current is not None:
            page = await client.get(f"/items/{current}")
            assert _link(page.text, "data-previous-item") == previous
            walked.append(current)
            previous, current = current, _link(page.text, "data-next-item")
        assert walked == listed
        page = await client.get(f"/items/{ids[3]}")
        assert "Previous item" in page.text and "Next item" in page.text
        alone = await client.get(f"/items/{ids[4]}")
        assert "data-item-navigation" not in alone.text  # the only item on its case


async def test_accepting_or_declining_goes_on_to_the_next_item_waiting_for_review(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    # Listed newest first: newest, reviewed, middle, oldest.
    oldest, middle, reviewed, newest = [
        await arrived(platform, scene, png(colour=(c, 7, 7)), filename=f"{name}.png")
        for c, name in ((1, "oldest"), (2, "middle"), (3, "reviewed"), (4, "newest"))
    ]
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{reviewed}")
        await submit(client, f"/items/{reviewed}/accept", {})  # one already decided: skipped

        accepted = await submit(client, f"/items/{newest}/accept", {})
        assert accepted.url.path == f"/items/{middle}"
        assert "newest.png: Accepted as exhibit T/2. Showing the next item" in accepted.text
        assert "<h1" in accepted.text and "middle.png</h1>" in accepted.text

        blank = await submit(client, f"/items/{middle}/decline", {"reason": " "})
        assert blank.status_code == 400  # a refusal stays on the item, as before
        declined = await submit(client, f"/items/{middle}/decline", {"reason": "Blurred"})
        assert declined.url.path == f"/items/{oldest}"
        assert "middle.png: Declined." in declined.text

        # Nothing older is waiting: the officer stays on the item, told what was done.
        last = await submit(client, f"/items/{oldest}/accept", {})
        assert last.url.path == f"/items/{oldest}"
        assert "Accepted as exhibit T/3." in last.text
        assert "Showing the next item" not in last.text

    items = await _items(platform, scene.force_id)
    assert items[middle].review_state == ReviewState.DECLINED
    assert [items[i].exhibit_reference for i in (reviewed, newest, oldest)] == ["T/1", "T/2", "T/3"]
