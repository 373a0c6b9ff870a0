"""A whole case's continuity for disclosure: every event on the case, its requests, items and
shares, in order with hashes, as a page and as CSV; nothing of another case or force."""

import csv
import io
from dataclasses import replace
from datetime import timedelta

import pytest

from exhibit.accounts.models import Role
from exhibit.accounts.permissions import ROLE_PERMISSIONS, Permission
from exhibit.cases.models import Case
from exhibit.cases.service import open_case
from exhibit.db.base import utcnow
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.sharing.service import NewShare, create_share, revoke_share
from exhibit.uploads.requests import NewRequest, create_request
from tests.evidence.arrivals import arrived, png
from tests.fixtures.officer import audit_events, browser, make_user, sign_in, submit
from tests.fixtures.witness import Scene, make_scene

OFFICER = "officer@kent.test"


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
