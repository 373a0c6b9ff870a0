"""A whole case's continuity for disclosure: every event on the case, its requests, items and
shares, in order with hashes, as a page and as CSV; nothing of another case or force."""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.accounts.models import Role
from exhibit.accounts.permissions import ROLE_PERMISSIONS, Permission
from exhibit.audit import log as audit
from exhibit.audit.models import AuditEvent
from exhibit.cases.models import Case
from exhibit.cases.service import open_case
from exhibit.db.base import utcnow
from exhibit.evidence.models import Derivative, EvidenceItem
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.media.processor import DerivativeOutput
from exhibit.media.records import Provenance, record_derivative
from exhibit.notifications.models import Notification
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.sharing.models import Share
from exhibit.sharing.service import NewShare, create_share, revoke_share
from exhibit.storage.backend import put_object
from exhibit.uploads.models import EvidenceRequest, Submission, Upload
from exhibit.uploads.requests import NewRequest, create_request
from tests.evidence.arrivals import arrived, png, with_derivative
from tests.fixtures.officer import audit_events, browser, make_user, sign_in, submit
from tests.fixtures.witness import Scene, chunks, make_scene

OFFICER = "officer@kent.test"
PAGES = "exhibit.web.officer.case_continuity"
_ROW = re.compile(
    r'<tr class="govuk-table__row" data-action="([^"]+)" data-object="([^"]+)">(.*?)</tr>', re.S
)
_HASH = re.compile(r'data-hash="([0-9a-f]{64})"')
_LINK = re.compile(r'href="(/cases/\d+/continuity\?(?:after|before)=\d+)" rel="(next|prev)"')
Shown = tuple[str, str, str]
"""A step as the page or the CSV shows it: action, object and hash ("" if not logged)."""


async def another_case(platform: Platform, scene: Scene) -> Scene:
    """A second case of the scene's force, with its own request."""
    async with force_transaction(platform, scene.force_id) as tx:
        case = await open_case(
            tx.session,
            scene.force_id,
            reference="KENT/999/26",
            title="Criminal damage",
            officer_id=scene.officer_id,
            actor="test",
        )
        force = await tx.session.get(Force, scene.force_id)
        assert force is not None
        request, token = await create_request(
            tx.session,
            platform.secret_box,
            force,
            case,
            NewRequest(recipient_name="Alex Other", channels=("sms",), phone="07911 123457"),
            officer_id=scene.officer_id,
            actor="test",
            public_url="https://exhibit.test",
        )
    return replace(scene, case_id=case.id, request_id=request.id, token=token)


async def share_and_revoke(platform: Platform, scene: Scene, item_id: int) -> int:
    """Share the accepted item (its original, with the reason) and revoke the share."""
    async with force_transaction(platform, scene.force_id) as tx:
        share = await create_share(
            tx,
            NewShare(
                case_id=scene.case_id,
                item_ids=(item_id,),
                recipient="prosecutor@cps.test",
                expires_at=utcnow() + timedelta(days=7),
                target="cps_portal",
                originals={item_id: "Nothing to redact"},
            ),
            targets={"cps_portal": "share_cps"},
            user_id=scene.officer_id,
            actor=f"user:{scene.officer_id}",
        )
    async with force_transaction(platform, scene.force_id) as tx:
        await revoke_share(tx.session, share.id, actor="test", reason="Wrong recipient")
    return share.id


async def test_the_case_history_lists_every_object_in_order_with_hashes_and_as_csv(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    other = await another_case(platform, scene)
    elsewhere = await arrived(platform, other, png(colour=(0, 90, 0)))
    stranger = await make_scene(platform, "essex")
    await arrived(platform, stranger, png(colour=(0, 0, 90)))
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{item_id}")
        await client.get(f"/items/{item_id}/download", params={"reason": "Disclosure check"})
        await submit(client, f"/items/{item_id}/accept", {})
        await client.get(f"/items/{elsewhere}")  # another case's item: not in this history
        share_id = await share_and_revoke(platform, scene, item_id)
        case_page = await client.get(f"/cases/{scene.case_id}")
        page = await client.get(f"/cases/{scene.case_id}/continuity")
        got = await client.get(f"/cases/{scene.case_id}/continuity.csv")
    assert f'href="/cases/{scene.case_id}/continuity"' in case_page.text
    assert page.status_code == 200
    text = page.text
    expected = [
        ("case.opened", f"case:{scene.case_id}"),
        ("request.created", f"request:{scene.request_id}"),
        ("evidence.received", f"item:{item_id}"),
        ("item.viewed", f"item:{item_id}"),
        ("item.downloaded", f"item:{item_id}"),
        ("item.accepted", f"item:{item_id}"),
        ("item.shared", f"item:{item_id}"),
        ("share.created", f"share:{share_id}"),
        ("share.revoked", f"share:{share_id}"),
        ("case.continuity_viewed", f"case:{scene.case_id}"),
    ]
    places = [text.index(f'data-action="{a}" data-object="{o}"') for a, o in expected]
    assert places == sorted(places)
    assert "Disclosure check" in text and "Wrong recipient" in text
    assert f"Request {scene.request_id} to Sam Witness" in text
    assert f'data-object="item:{elsewhere}"' not in text
    assert f'data-object="request:{other.request_id}"' not in text
    assert f'data-object="case:{other.case_id}"' not in text

    # Each step's hash is the audit event's own: it can be checked against an export.
    logged = {
        e.seq: e.hash
        for e in await audit_events(platform, scene.force_id, "item.accepted")
        + await audit_events(platform, scene.force_id, "share.revoked")
    }
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.headers["content-disposition"] == (
        f'attachment; filename="case-{scene.case_id}-continuity.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert list(rows[0]) == [
        "time_utc",
        "action",
        "description",
        "by",
        "actor",
        "reason",
        "details",
        "seq",
        "hash",
        "object",
        "object_name",
    ]
    pairs = [(row["action"], row["object"]) for row in rows]
    positions = [pairs.index(pair) for pair in expected]
    assert positions == sorted(positions)
    assert {int(row["seq"]): row["hash"] for row in rows if int(row["seq"] or 0) in logged} == (
        logged
    )
    accepted = next(row for row in rows if row["action"] == "item.accepted")
    assert "exhibit_reference=" in accepted["details"]
    assert accepted["object_name"].startswith("Exhibit ")
    objects = {row["object"] for row in rows}
    assert f"item:{elsewhere}" not in objects
    assert f"request:{other.request_id}" not in objects
    assert f"case:{other.case_id}" not in objects
    # The page view and the download are audited, as the item's are.
    viewed = await audit_events(platform, scene.force_id, "case.continuity_viewed")
    assert [e.details["format"] for e in viewed] == ["html", "csv"]
    assert {e.object_id for e in viewed} == {str(scene.case_id)}


async def test_a_long_history_is_paged(
    settings: Settings, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("exhibit.web.officer.case_continuity.STEPS_PER_PAGE", 2)
    scene = await make_scene(platform)
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        first = await client.get(f"/cases/{scene.case_id}/continuity")
        second = await client.get(f"/cases/{scene.case_id}/continuity", params={"page": 2})
        beyond = await client.get(f"/cases/{scene.case_id}/continuity", params={"page": 99})
        nonsense = await client.get(f"/cases/{scene.case_id}/continuity", params={"page": "x"})
    assert first.status_code == second.status_code == 200
    assert first.text.count("data-action=") == 2
    assert 'data-action="case.opened"' in first.text
    assert 'data-action="case.opened"' not in second.text
    assert beyond.status_code == 404
    assert nonsense.status_code == 400


async def test_another_forces_case_is_not_found_and_a_role_without_view_is_refused(
    settings: Settings, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = await make_scene(platform)
    essex = await make_user(platform, "essex", Role.AUDITOR)
    auditor = await make_user(platform, "kent", Role.AUDITOR)
    async with browser(settings) as client:
        await sign_in(client, essex.email)
        assert (await client.get(f"/cases/{scene.case_id}/continuity")).status_code == 404
        assert (await client.get(f"/cases/{scene.case_id}/continuity.csv")).status_code == 404
    async with platform.force_session(essex.force_id) as session:
        assert await session.get(Case, scene.case_id) is None
    # Every role may view cases today; a role that may not is refused, not shown the case.
    monkeypatch.setitem(
        ROLE_PERMISSIONS, Role.AUDITOR, ROLE_PERMISSIONS[Role.AUDITOR] - {Permission.VIEW_CASES}
    )
    async with browser(settings) as client:
        await sign_in(client, auditor.email)
        page = await client.get(f"/cases/{scene.case_id}/continuity")
        download = await client.get(f"/cases/{scene.case_id}/continuity.csv")
    assert page.status_code == download.status_code == 403
    assert "KENT/123/26" not in page.text
    assert await audit_events(platform, scene.force_id, "case.continuity_viewed") == []


def shown_on(page: str) -> list[Shown]:
    """The steps of a history page, in the order shown."""
    found = []
    for action, concerns, cells in _ROW.findall(page):
        logged = _HASH.search(cells)
        found.append((action, concerns, logged.group(1) if logged else ""))
    return found


def shown_in(csv_text: str) -> list[Shown]:
    """The steps of the history's CSV, in the order written."""
    return [(r["action"], r["object"], r["hash"]) for r in csv.DictReader(io.StringIO(csv_text))]


async def processed_derivative(platform: Platform, scene: Scene, item_id: int) -> Derivative:
    """A preview of the item made as the media pipeline makes one: stored, then recorded
    with its ``derivative.created`` event."""
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        key = f"derivatives/{item_id}/preview"
        stored = await put_object(platform.storage(tx.force, "local"), key, chunks(png(8, 6)))
        return await record_derivative(
            tx.session,
            item,
            DerivativeOutput(
                kind="preview",
                media_type="image/png",
                data_path="preview.png",
                tool="Pillow",
                tool_version="test",
                parameters={"width": 8},
                reason="preview for review",
            ),
            stored,
            backend="local",
            provenance=Provenance(
                processor="test", processor_version="1", input_sha256=item.sha256
            ),
        )


async def walk(client: AsyncTestClient[Any], url: str, rel: str) -> list[tuple[str, list[Shown]]]:
    """Each page from ``url`` on, following its ``rel`` link (next or prev): its address
    and its steps."""
    pages = []
    for _ in range(50):
        got = await client.get(url)
        assert got.status_code == 200, (url, got.status_code)
        pages.append((url, shown_on(got.text)))
        links = {r: href for href, r in _LINK.findall(got.text)}
        if rel not in links:
            return pages
        url = links[rel]
    raise AssertionError(f"no end to the pages after {url}")


async def case_chain(platform: Platform, scene: Scene) -> list[str]:
    """The hashes of every event about the case and what is on it, in chain order: read
    here without the code under test."""
    async with platform.force_session(scene.force_id) as session:
        requests = select(EvidenceRequest.id).where(EvidenceRequest.case_id == scene.case_id)
        kinds: dict[str, Iterable[int]] = {
            "case": [scene.case_id],
            "request": await session.scalars(requests),
            "notification": await session.scalars(
                select(Notification.id).where(Notification.request_id.in_(requests))
            ),
            "submission": await session.scalars(
                select(Submission.id).where(Submission.request_id.in_(requests))
            ),
            "upload": await session.scalars(
                select(Upload.id).where(Upload.request_id.in_(requests))
            ),
            "item": await session.scalars(
                select(EvidenceItem.id).where(EvidenceItem.case_id == scene.case_id)
            ),
            "share": await session.scalars(select(Share.id).where(Share.case_id == scene.case_id)),
        }
        about = {(kind, str(i)) for kind, ids in kinds.items() for i in ids}
        chain = await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
        return [e.hash for e in chain if (e.object_type, e.object_id) in about]


async def test_paging_forwards_and_back_shows_every_step_once_in_chain_order(
    settings: Settings, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{PAGES}.STEPS_PER_PAGE", 3)
    monkeypatch.setattr(f"{PAGES}.CSV_BATCH", 2)
    scene = await make_scene(platform)
    other = await another_case(platform, scene)
    first = await arrived(platform, scene, png())
    elsewhere = await arrived(platform, other, png(colour=(0, 90, 0)))  # among the case's
    await with_derivative(platform, scene, first, b"thumbnail")  # recorded in its table only
    second = await arrived(platform, scene, png(colour=(0, 0, 90)))
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        for item_id in (first, second, first):
            await client.get(f"/items/{item_id}")
        forward = await walk(client, f"/cases/{scene.case_id}/continuity", "next")
        backward = await walk(client, forward[-1][0], "prev")
        got = await client.get(f"/cases/{scene.case_id}/continuity.csv")
    assert len(forward) > 3
    pages = [steps for _, steps in forward]
    steps = [step for page in pages for step in page]
    # Each page holds three audit events; the derivative known only from its table stands
    # among them, where its time puts it, once.
    assert all(len([s for s in page if s[2]]) == 3 for page in pages[:-1])
    assert [s for s in steps if not s[2]] == [("derivative.created", f"item:{first}", "")]
    received = [i for i, s in enumerate(steps) if s[0] == "evidence.received"]
    assert received[0] < steps.index(("derivative.created", f"item:{first}", "")) < received[1]

    # Nothing lost or repeated: every event of the case once, in chain order (with the views
    # of the walk itself, each page recording one), and nothing of the other case.
    hashes = [s[2] for s in steps if s[2]]
    assert len(set(hashes)) == len(hashes)
    chain = await case_chain(platform, scene)
    assert hashes == chain[: len(hashes)]
    viewed = await audit_events(platform, scene.force_id, "case.continuity_viewed")
    assert set(chain[len(hashes) :]) <= {e.hash for e in viewed}
    assert not {f"case:{other.case_id}", f"item:{elsewhere}"} & {s[1] for s in steps}

    # "Earlier" from the last page goes back through the very same pages to the first.
    assert [steps for _, steps in reversed(backward[1:])] == pages[:-1]

    # The CSV, read and written two events at a time, holds the same steps in the same
    # order, then the views since (the download's own last), and every event of the case.
    assert got.status_code == 200
    written = shown_in(got.text)
    assert written[: len(steps)] == steps
    assert {s[0] for s in written[len(steps) :]} == {"case.continuity_viewed"}
    assert [s[2] for s in written if s[2]] == await case_chain(platform, scene)


async def test_a_bad_cursor_is_refused_and_one_past_the_end_is_not_found(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    await with_derivative(platform, scene, item_id, b"thumbnail")  # shown by time, not seq
    url = f"/cases/{scene.case_id}/continuity"
    bad = [
        {"after": "x"},
        {"after": "-1"},
        {"before": "1.5"},
        {"after": str(2**31)},  # past what an int column holds: refused before any query
        {"after": "1", "before": "9"},
        {"page": "2", "after": "1"},
    ]
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        refused = [await client.get(url, params=params) for params in bad]
        beyond = await client.get(url, params={"after": 1_000_000})
        start = await client.get(url, params={"before": 1})
    assert [r.status_code for r in refused] == [400] * len(bad)
    assert all("Internal Server Error" not in r.text for r in refused)
    assert beyond.status_code == 404
    assert start.status_code == 200 and 'data-action="case.opened"' in start.text
    # Refused addresses record no view; the two pages asked for do.
    assert len(await audit_events(platform, scene.force_id, "case.continuity_viewed")) == 2


async def test_another_forces_events_never_appear_in_a_cases_history(
    settings: Settings, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{PAGES}.STEPS_PER_PAGE", 2)
    monkeypatch.setattr(f"{PAGES}.CSV_BATCH", 2)
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    essex = await make_scene(platform, "essex")
    await arrived(platform, essex, png(colour=(0, 0, 90)))
    # Essex's chain numbers its events from 1 as Kent's does, and here it even names Kent's
    # case, request and item: none of it is Kent's history.
    async with force_transaction(platform, essex.force_id) as tx:
        for kind, object_id in (
            ("case", scene.case_id),
            ("request", scene.request_id),
            ("item", item_id),
        ):
            await audit.record(
                tx.session,
                essex.force_id,
                actor="test",
                action="item.viewed",
                object_type=kind,
                object_id=object_id,
                reason="Essex, not Kent",
            )
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        pages = await walk(client, f"/cases/{scene.case_id}/continuity", "next")
        got = await client.get(f"/cases/{scene.case_id}/continuity.csv")
    shown = {s[2] for _, steps in pages for s in steps} | {s[2] for s in shown_in(got.text)}
    async with platform.force_session(essex.force_id) as session:
        essex_chain = set(await session.scalars(select(AuditEvent.hash)))
    assert len(pages) > 2
    assert shown - {""} == set(await case_chain(platform, scene))
    assert not shown & essex_chain
    assert "Essex, not Kent" not in got.text


async def test_a_derivative_is_made_once_in_the_history_however_often_it_is_opened(
    settings: Settings, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{PAGES}.STEPS_PER_PAGE", 2)
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    table_only = await with_derivative(platform, scene, item_id, b"thumbnail")  # no event
    audited = await processed_derivative(platform, scene, item_id)
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        # Opening a derivative names it in the event; it does not record its making.
        await client.get(f"/items/{item_id}/preview")
        for made in (table_only, audited):
            got = await client.get(f"/derivatives/{made.id}/download", params={"reason": "Court"})
            assert got.status_code == 200
        item_csv = await client.get(f"/items/{item_id}/continuity.csv")
        pages = await walk(client, f"/cases/{scene.case_id}/continuity", "next")
        case_csv = await client.get(f"/cases/{scene.case_id}/continuity.csv")

    for text in (item_csv.text, case_csv.text):
        rows = list(csv.DictReader(io.StringIO(text)))
        downloads = [r["details"] for r in rows if r["action"] == "item.downloaded"]
        assert [found.split("; ")[0] for found in downloads] == [
            f"derivative={table_only.id}",
            f"derivative={audited.id}",
        ]
        for made, logged in ((table_only, False), (audited, True)):
            shown = [
                row
                for row in rows
                if row["action"] == "derivative.created"
                and f"output_sha256={made.output_sha256}" in row["details"]
            ]
            assert [bool(row["hash"]) for row in shown] == [logged], (made.kind, shown)
    # Paged, the download is on another page than the making: still shown once.
    steps = [step for _, page in pages for step in page]
    making = [s for s in steps if s[0] == "derivative.created"]
    assert len(pages) > 2
    assert sorted(bool(s[2]) for s in making) == [False, True]
