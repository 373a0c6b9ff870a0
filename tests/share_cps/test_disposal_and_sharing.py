"""Where disposal meets sharing: no share of an item whose disposal awaits a decision, and no
disposal of a shared item without its approver (or requester, where no approval is needed)
saying they know of the shares, which the disposal's audit event lists."""

import html

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from exhibit.accounts.models import Role, User
from exhibit.audit.verify import verify_force_chain
from exhibit.evidence.disposal import (
    SharesNotAcknowledged,
    approve_disposal,
    refuse_disposal,
    request_disposal,
)
from exhibit.evidence.models import DisposalRequest, EvidenceItem, ReviewState
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.sharing.models import Share
from exhibit.sharing.service import revoke_share
from tests.fixtures.officer import Person, audit_events, make_user, sign_in, submit
from tests.share_cps.helpers import PROSECUTOR, api_headers, share_by_api
from tests.share_cps.world import World, make_world

AWAITING = "a disposal request for it awaits a decision: decide that first"


async def _user(platform: Platform, force_id: int, user_id: int) -> User:
    async with platform.force_session(force_id) as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user


async def _item(platform: Platform, force_id: int, item_id: int) -> EvidenceItem:
    async with platform.force_session(force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        assert item is not None
        return item


async def _ask_disposal(platform: Platform, world: World, item_id: int) -> DisposalRequest:
    """The scene's officer asks for the item's disposal (a request, where approval is needed)."""
    officer = await _user(platform, world.scene.force_id, world.scene.officer_id)
    async with force_transaction(platform, world.scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
        assert item is not None
        return await request_disposal(platform, tx, item, officer, "Duplicate of PT/2")


async def _shares(platform: Platform, force_id: int) -> int:
    async with platform.force_session(force_id) as session:
        return int(await session.scalar(select(func.count()).select_from(Share)) or 0)


async def _no_approval_needed(platform: Platform, force_id: int) -> None:
    async with platform.system_session() as session:
        await session.execute(
            update(Force).where(Force.id == force_id).values(disposal_needs_approval=False)
        )
        await session.commit()


async def test_an_item_awaiting_a_disposal_decision_is_not_shared_by_the_api(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    disposal = await _ask_disposal(cps_platform, world, world.redacted.id)
    officer = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    url = f"/api/v1/cases/{world.scene.case_id}/shares"
    body = {"target": "cps_portal", "recipient": PROSECUTOR, "expires_in_days": 30}

    refused = await client.post(
        url, json=body | {"item_ids": [world.disclosure.id, world.redacted.id]}, headers=officer
    )
    assert refused.status_code == 400, refused.text
    assert f"PT/1 cannot be shared while {AWAITING}" in refused.json()["detail"]
    # Not even the unredacted original, with a reason.
    original = body | {
        "item_ids": [world.redacted.id],
        "originals": {str(world.redacted.id): "needed at the trial"},
    }
    again = await client.post(url, json=original, headers=officer)
    assert again.status_code == 400, again.text
    assert AWAITING in again.text
    assert await _shares(cps_platform, world.scene.force_id) == 0
    assert await audit_events(cps_platform, world.scene.force_id, "share.created") == []

    # Once the disposal is decided (here refused), the exhibit may be shared again.
    supervisor = await make_user(cps_platform, "kent", Role.SUPERVISOR, name="Sgt Ann Lee")
    approver = await _user(cps_platform, world.scene.force_id, supervisor.user_id)
    async with force_transaction(cps_platform, world.scene.force_id) as tx:
        found = await tx.session.get(DisposalRequest, disposal.id, with_for_update=True)
        assert found is not None
        await refuse_disposal(tx, found, approver, "PT/1 is needed at trial")
    shared = await client.post(url, json=body | {"item_ids": [world.redacted.id]}, headers=officer)
    assert shared.status_code == 201, shared.text


async def test_the_share_form_refuses_an_item_awaiting_a_disposal_decision(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    await _ask_disposal(cps_platform, world, world.redacted.id)
    new_share = f"/cases/{world.scene.case_id}/shares/new"
    await sign_in(client, "officer@kent.test")
    form = html.unescape((await client.get(new_share)).text)
    # The form shows it as refused, saying why, as the service would refuse it.
    assert (
        f'value="{world.redacted.id}" aria-describedby="item-{world.redacted.id}-hint" disabled'
        in form
    )
    assert f"PT/1 cannot be shared while {AWAITING}" in form
    refused = await submit(
        client,
        new_share,
        {
            "item": [str(world.redacted.id)],
            "target": "cps_portal",
            "recipient": PROSECUTOR,
            "unit": "",
            "expires_in_days": "14",
        },
    )
    assert refused.status_code == 400, refused.text
    assert "govuk-error-summary" in refused.text
    assert f"PT/1 cannot be shared while {AWAITING}" in html.unescape(refused.text)
    assert await _shares(cps_platform, world.scene.force_id) == 0


async def test_approving_the_disposal_of_a_shared_item_needs_a_tick_and_lists_its_shares(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    officer = await api_headers(cps_platform, force_id, "o@kent.test")
    live = await share_by_api(client, world, officer)
    revoked = await share_by_api(client, world, officer)
    async with force_transaction(cps_platform, force_id) as tx:
        await revoke_share(tx.session, revoked, actor="test", reason="sent to the wrong unit")
    disposal = await _ask_disposal(cps_platform, world, world.redacted.id)
    supervisor = await make_user(cps_platform, "kent", Role.SUPERVISOR, name="Sgt Ann Lee")
    approval = f"/disposals/{disposal.id}/approve"

    await sign_in(client, supervisor.email)
    confirm = await client.get(approval)
    assert confirm.status_code == 200
    assert "data-shared-warning" in confirm.text
    assert f'data-share="{live}"' in confirm.text
    assert f'href="/shares/{live}"' in confirm.text
    assert PROSECUTOR in confirm.text
    assert f'data-share="{revoked}"' not in confirm.text  # a revoked share gives nothing
    assert 'name="shared_acknowledged"' in confirm.text

    unticked = await submit(client, approval, {"reason": "Agreed: a duplicate"})
    assert unticked.status_code == 400
    assert 'href="#shared_acknowledged"' in unticked.text
    assert "Tick to confirm that you know this item has been shared" in unticked.text
    assert "Agreed: a duplicate" in unticked.text  # what was typed is kept
    item = await _item(cps_platform, force_id, world.redacted.id)
    assert item.review_state == ReviewState.ACCEPTED
    assert await audit_events(cps_platform, force_id, "item.disposed") == []

    both = await submit(client, approval, {"reason": " ", "shared_acknowledged": "yes"})
    assert both.status_code == 400
    assert "Give a reason to approve the disposal" in both.text
    assert "Tick to confirm" not in both.text
    assert "checked" in both.text  # the tick is kept

    approved = await submit(
        client, approval, {"reason": "Agreed: a duplicate", "shared_acknowledged": "yes"}
    )
    assert "Disposal approved" in approved.text
    assert (await _item(cps_platform, force_id, world.redacted.id)).disposed_at is not None
    [event] = await audit_events(cps_platform, force_id, "item.disposed")
    [listed] = event.details["unrevoked_shares"]
    async with cps_platform.force_session(force_id) as session:
        share = await session.get(Share, live)
        assert share is not None
        assert listed == {
            "share_id": live,
            "target": "cps_portal",
            "shared_at": share.created_at.isoformat(),
        }
        assert (await verify_force_chain(session, force_id)).ok
    assert PROSECUTOR not in str(event.details)  # no contact details in the audit trail


async def test_the_domain_refuses_an_unacknowledged_disposal_of_a_shared_item(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    live = await share_by_api(
        client, world, await api_headers(cps_platform, force_id, "o@kent.test")
    )
    disposal = await _ask_disposal(cps_platform, world, world.redacted.id)
    supervisor = await make_user(cps_platform, "kent", Role.SUPERVISOR)
    approver = await _user(cps_platform, force_id, supervisor.user_id)
    with pytest.raises(SharesNotAcknowledged, match=rf"share {live} with {PROSECUTOR}"):
        async with force_transaction(cps_platform, force_id) as tx:
            found = await tx.session.get(DisposalRequest, disposal.id)
            assert found is not None
            await approve_disposal(cps_platform, tx, found, approver, "Agreed")
    assert (await _item(cps_platform, force_id, world.redacted.id)).disposed_at is None


async def test_without_approval_the_api_needs_shared_acknowledged_for_a_shared_item(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    await _no_approval_needed(cps_platform, force_id)
    officer = await api_headers(cps_platform, force_id, "o@kent.test")
    live = await share_by_api(client, world, officer)
    url = f"/api/v1/items/{world.redacted.id}/disposal"

    missing = await client.post(url, json={"reason": "Duplicate"}, headers=officer)
    assert missing.status_code == 400, missing.text
    detail = missing.json()["detail"]
    assert f"share {live} with {PROSECUTOR}" in detail
    assert '"shared_acknowledged": true' in detail
    declined = await client.post(
        url, json={"reason": "Duplicate", "shared_acknowledged": False}, headers=officer
    )
    assert declined.status_code == 400
    async with cps_platform.force_session(force_id) as session:
        assert list(await session.scalars(select(DisposalRequest))) == []
    assert (await _item(cps_platform, force_id, world.redacted.id)).disposed_at is None

    done = await client.post(
        url, json={"reason": "Duplicate", "shared_acknowledged": True}, headers=officer
    )
    assert done.status_code == 201, done.text
    assert done.json()["review_state"] == "disposed"
    [event] = await audit_events(cps_platform, force_id, "item.disposed")
    assert [s["share_id"] for s in event.details["unrevoked_shares"]] == [live]

    # An item nobody shared needs no such field.
    plain = await client.post(
        f"/api/v1/items/{world.underived.id}/disposal", json={"reason": "Dup"}, headers=officer
    )
    assert plain.status_code == 201, plain.text


async def test_without_approval_the_item_page_asks_for_the_tick_for_a_shared_item(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    await _no_approval_needed(cps_platform, force_id)
    live = await share_by_api(
        client, world, await api_headers(cps_platform, force_id, "o@kent.test")
    )
    officer = Person(force_id, world.scene.officer_id, "officer@kent.test")
    item_url = f"/items/{world.redacted.id}"
    await sign_in(client, officer.email)
    page = await client.get(item_url)
    assert 'name="shared_acknowledged"' in page.text
    assert f'href="/shares/{live}"' in page.text
    plain = await client.get(f"/items/{world.underived.id}")
    assert 'name="shared_acknowledged"' not in plain.text

    refused = await submit(client, f"{item_url}/disposal", {"reason": "Duplicate"})
    assert "confirm that you know this before its original is destroyed" in html.unescape(
        refused.text
    )
    assert (await _item(cps_platform, force_id, world.redacted.id)).disposed_at is None
    done = await submit(
        client, f"{item_url}/disposal", {"reason": "Duplicate", "shared_acknowledged": "yes"}
    )
    assert "Disposed of: the stored file is destroyed" in done.text
    assert (await _item(cps_platform, force_id, world.redacted.id)).disposed_at is not None


async def test_a_supervisor_decides_disposals_through_the_api_as_on_the_pages(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    force_id = world.scene.force_id
    officer = await api_headers(cps_platform, force_id, "o@kent.test")
    supervisor = await api_headers(cps_platform, force_id, "s@kent.test", Role.SUPERVISOR)
    await share_by_api(client, world, officer)
    shared = await _ask_disposal(cps_platform, world, world.redacted.id)
    kept = await _ask_disposal(cps_platform, world, world.disclosure.id)

    assert (await client.get("/api/v1/disposals", headers=officer)).status_code == 403
    awaiting = await client.get("/api/v1/disposals", headers=supervisor)
    assert [d["id"] for d in awaiting.json()] == [shared.id, kept.id]
    assert awaiting.json()[0]["reason"] == "Duplicate of PT/2"

    url = f"/api/v1/disposals/{shared.id}"
    unticked = await client.post(
        f"{url}/approve", json={"reason": "A duplicate"}, headers=supervisor
    )
    assert unticked.status_code == 400
    assert '"shared_acknowledged": true' in unticked.json()["detail"]
    assert (await _item(cps_platform, force_id, world.redacted.id)).review_state == (
        ReviewState.ACCEPTED
    )
    approved = await client.post(
        f"{url}/approve",
        json={"reason": "A duplicate", "shared_acknowledged": True},
        headers=supervisor,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "done"
    assert (await _item(cps_platform, force_id, world.redacted.id)).review_state == (
        ReviewState.DISPOSED
    )

    refused = await client.post(
        f"/api/v1/disposals/{kept.id}/refuse",
        json={"reason": "Needed at trial"},
        headers=supervisor,
    )
    assert (refused.status_code, refused.json()["state"]) == (200, "refused")
    again = await client.post(
        f"/api/v1/disposals/{kept.id}/approve",
        json={"reason": "Changed my mind"},
        headers=supervisor,
    )
    assert again.status_code == 400 and "already refused" in again.json()["detail"]
    not_theirs = await client.post(
        f"/api/v1/disposals/{kept.id}/refuse", json={"reason": "x"}, headers=officer
    )
    unknown = await client.post(
        "/api/v1/disposals/999999/refuse", json={"reason": "x"}, headers=supervisor
    )
    assert (not_theirs.status_code, unknown.status_code) == (403, 404)
    assert (await client.get("/api/v1/disposals", headers=supervisor)).json() == []
    assert [
        e.reason for e in await audit_events(cps_platform, force_id, "item.disposal_refused")
    ] == ["Needed at trial"]
