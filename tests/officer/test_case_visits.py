"""What arrived since an officer last opened a case: counted on the case list, marked new on
the case page, remembered per user and case, and cheap to keep."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.engine import Engine

from exhibit.accounts.models import Role, User
from exhibit.audit.models import AuditEvent
from exhibit.cases.models import Case
from exhibit.cases.service import open_case
from exhibit.cases.visits import CaseVisit
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.web.officer.case_queries import ITEMS_PER_PAGE
from tests.fixtures.officer import browser, make_user, sign_in, submit
from tests.fixtures.witness import Scene, make_scene

OFFICER = "officer@kent.test"
_NEW_ROW = re.compile(r'<tr class="govuk-table__row" id="item-(\d+)" data-new>')


async def _add_items(
    platform: Platform, scene: Scene, names: list[str], *, at: datetime | None = None
) -> list[int]:
    """Items on the scene's case, received a microsecond apart up to ``at`` (now by
    default), the first oldest."""
    last = at or utcnow()
    made = [
        EvidenceItem(
            case_id=scene.case_id,
            storage_backend="local",
            storage_key=f"originals/{name}",
            original_filename=name,
            size=1000,
            sniffed_type="image/jpeg",
            sha256=f"{n:064x}",
            received_at=last - timedelta(microseconds=len(names) - n),
        )
        for n, name in enumerate(names)
    ]
    async with platform.force_session(scene.force_id) as session:
        session.add_all(made)
        await session.commit()
    return [item.id for item in made]


def _marked(html: str) -> set[int]:
    """The ids of the items the case page marks new."""
    return {int(found) for found in _NEW_ROW.findall(html)}


def _new_on_list(html: str, case_id: int) -> int:
    """The count the case list shows in the "new" column of a case."""
    row = html[html.index(f'href="/cases/{case_id}"') :]
    found = re.search(r'data-new="(\d+)"', row)
    assert found, "the case's row has no count of new items"
    return int(found.group(1))


async def _audited(platform: Platform, force_id: int) -> list[str]:
    """The force's audit events' actions, oldest first."""
    async with platform.force_session(force_id) as session:
        return list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


async def test_what_arrived_since_the_officer_last_looked_is_counted_then_marked_once(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    first = await _add_items(platform, scene, ["a.jpg", "b.jpg"])
    colleague = await make_user(platform, role=Role.SUPERVISOR, name="Sgt Lee")
    audited = await _audited(platform, scene.force_id)
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        assert _new_on_list((await client.get("/cases")).text, scene.case_id) == 2

        opened = await client.get(f"/cases/{scene.case_id}")
        assert _marked(opened.text) == set(first)  # never opened: everything is new
        assert "You have not opened this case before" in opened.text
        assert 'New<span class="govuk-visually-hidden"> since you last opened' in opened.text
        assert _new_on_list((await client.get("/cases")).text, scene.case_id) == 0

        again = await client.get(f"/cases/{scene.case_id}")
        assert _marked(again.text) == set()
        assert "Nothing new since you last opened this case" in again.text

        [later] = await _add_items(platform, scene, ["c.jpg"])
        listed = await client.get("/cases")
        assert _new_on_list(listed.text, scene.case_id) == 1
        assert "1 new</strong>" in listed.text
        shown = await client.get(f"/cases/{scene.case_id}")
        assert _marked(shown.text) == {later}
        assert "1 new</strong> since you last opened this case" in shown.text
        assert _marked((await client.get(f"/cases/{scene.case_id}")).text) == set()

    async with browser(settings) as client:  # another user has looked at nothing yet
        await sign_in(client, colleague.email)
        assert _new_on_list((await client.get("/cases")).text, scene.case_id) == 3
        assert _marked((await client.get(f"/cases/{scene.case_id}")).text) == {*first, later}

    # Looking at a case is not audited (signing in is; viewing an item is, and stays so).
    since = (await _audited(platform, scene.force_id))[len(audited) :]
    assert set(since) == {"user.signed_in"}, since
    async with platform.force_session(scene.force_id) as session:
        visits = (await session.scalars(select(CaseVisit))).all()
    assert {(v.user_id, v.force_id) for v in visits} == {
        (scene.officer_id, scene.force_id),
        (colleague.user_id, scene.force_id),
    }


async def test_the_visits_pages_and_a_refused_form_keep_its_marks(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    old = await _add_items(platform, scene, ["old.jpg"], at=utcnow() - timedelta(hours=1))
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/cases/{scene.case_id}")
        names = [f"new-{n:03d}.jpg" for n in range(ITEMS_PER_PAGE + 1)]
        fresh = await _add_items(platform, scene, names)

        first = await client.get(f"/cases/{scene.case_id}")
        assert _marked(first.text) == set(fresh[1:])  # the newest 200
        assert f"{ITEMS_PER_PAGE + 1} new</strong>" in first.text
        second = await client.get(f"/cases/{scene.case_id}", params={"page": 2})
        assert _marked(second.text) == {fresh[0]}  # the same visit: the oldest new one
        assert f'id="item-{old[0]}"' in second.text  # older than the last visit: not new

        refused = await submit(
            client, f"/cases/{scene.case_id}/items/bulk", {"action": "decline", "item": fresh[-1]}
        )
        assert refused.status_code == 400
        assert _marked(refused.text) == set(fresh[1:])

        assert _marked((await client.get(f"/cases/{scene.case_id}")).text) == set()


async def test_the_list_sorts_by_latest_arrival_on_request(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)  # opened first; its evidence arrives last
    async with force_transaction(platform, scene.force_id) as tx:
        quiet = await open_case(
            tx.session,
            scene.force_id,
            reference="KENT/500/26",
            title="",
            officer_id=None,
            actor="test",
        )
        empty = await open_case(
            tx.session,
            scene.force_id,
            reference="KENT/600/26",
            title="",
            officer_id=None,
            actor="test",
        )
    await _add_items(platform, scene, ["late.jpg"])
    async with platform.force_session(scene.force_id) as session:
        session.add(
            EvidenceItem(
                case_id=quiet.id,
                storage_backend="local",
                storage_key="originals/early.jpg",
                original_filename="early.jpg",
                size=1,
                sha256="e" * 64,
                received_at=utcnow() - timedelta(days=2),
            )
        )
        await session.commit()

    def order(html: str) -> list[str]:
        return re.findall(r'href="/cases/\d+">([A-Z0-9/]+)</a>', html)

    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        by_opening = await client.get("/cases")
        assert order(by_opening.text) == ["KENT/600/26", "KENT/500/26", "KENT/123/26"]
        assert '<option value="arrival" selected>' not in by_opening.text

        by_arrival = await client.get("/cases", params={"sort": "arrival"})
        assert order(by_arrival.text) == ["KENT/123/26", "KENT/500/26", "KENT/600/26"]
        assert '<option value="arrival" selected>' in by_arrival.text
        assert "latest evidence arrived first" in by_arrival.text
        assert "nothing yet" in by_arrival.text  # the empty case's latest arrival
        assert "Show all cases" not in by_arrival.text  # an order is not a filter

        waiting = await client.get("/cases", params={"sort": "arrival", "waiting": "yes"})
        assert order(waiting.text) == ["KENT/123/26", "KENT/500/26"]
        odd = await client.get("/cases", params={"sort": "<script>"})
        assert odd.status_code == 200
        assert order(odd.text) == order(by_opening.text)
    assert empty.id != quiet.id


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The SQL statements any engine runs meanwhile (the app builds its own engine)."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


async def test_opening_a_case_costs_one_upsert_and_the_list_one_aggregate_however_many(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/cases/{scene.case_id}")  # the first visit: an insert
        costs = []
        for names in (["one.jpg"], [f"{n}.jpg" for n in range(30)]):
            await _add_items(platform, scene, names)
            with _statements() as case_page:
                assert (await client.get(f"/cases/{scene.case_id}")).status_code == 200
            with _statements() as case_list:
                assert (await client.get("/cases")).status_code == 200
            costs.append((len(case_page), len(case_list)))
            visits = [s for s in case_page if "case_visit" in s]
            assert len(visits) == 1, visits
            assert visits[0].lstrip().upper().startswith("INSERT")
            assert "ON CONFLICT" in visits[0].upper()
            assert len([s for s in case_list if "case_visit" in s]) == 1
    assert costs[0] == costs[1]


async def test_visits_never_block_deleting_their_user_or_case(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    async with force_transaction(platform, scene.force_id) as tx:
        spare = await open_case(
            tx.session,
            scene.force_id,
            reference="KENT/900/26",
            title="",
            officer_id=None,
            actor="test",
        )
    visitor = await make_user(platform, role=Role.AUDITOR, name="A Visitor")
    async with browser(settings) as client:
        await sign_in(client, visitor.email)
        for case_id in (scene.case_id, spare.id):
            assert (await client.get(f"/cases/{case_id}")).status_code == 200
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        assert (await client.get(f"/cases/{spare.id}")).status_code == 200

    async with platform.system_session() as session:
        await session.execute(delete(Case).where(Case.id == spare.id))
        await session.commit()
        left = (await session.execute(select(CaseVisit.user_id, CaseVisit.case_id))).all()
    assert left == [(visitor.user_id, scene.case_id)]  # the spare case's two went with it
    async with platform.system_session() as session:
        await session.execute(delete(User).where(User.id == visitor.user_id))
        await session.commit()
        assert (await session.scalars(select(CaseVisit))).all() == []
