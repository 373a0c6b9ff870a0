"""A disposal request made before "an item nobody has reviewed is declined first" existed:
it is not approved (nor offered for approval), only refused."""

import pytest
from sqlalchemy import select

from exhibit.accounts.models import Role, User
from exhibit.evidence.disposal import DisposalRefused, approve_disposal
from exhibit.evidence.models import DisposalRequest, DisposalState, EvidenceItem, ReviewState
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.evidence.arrivals import arrived, png
from tests.fixtures.officer import audit_events, browser, make_user, sign_in, submit
from tests.fixtures.witness import Scene, make_scene

NOT_REVIEWED = "has not been reviewed, so its disposal is not approved"


async def _legacy_request(platform: Platform, scene: Scene, item_id: int) -> int:
    """A disposal request of an unreviewed item, as the old rules let an officer make."""
    async with force_transaction(platform, scene.force_id) as tx:
        disposal = DisposalRequest(
            force_id=scene.force_id, item_id=item_id, requested_by=scene.officer_id, reason="Dup"
        )
        tx.session.add(disposal)
        await tx.session.flush()
        return disposal.id


async def _item(platform: Platform, scene: Scene, item_id: int) -> EvidenceItem:
    async with platform.force_session(scene.force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        assert item is not None
        return item


async def test_the_disposal_of_an_unreviewed_item_is_refused_not_approved(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    disposal_id = await _legacy_request(platform, scene, item_id)
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR, name="Sgt Ann Lee")
    approval = f"/disposals/{disposal_id}/approve"
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        page = await client.get(f"/items/{item_id}")
        assert f'href="{approval}"' not in page.text
        assert "data-approval-hint" in page.text
        assert f'action="/disposals/{disposal_id}/refuse"' in page.text  # still refusable

        confirm = await client.get(approval)
        assert confirm.url.path == f"/items/{item_id}"
        assert NOT_REVIEWED in confirm.text
        assert 'data-action="approve-disposal"' not in confirm.text
        posted = await submit(client, approval, {"reason": "Agreed"})
        assert NOT_REVIEWED in posted.text
        assert "Disposal approved" not in posted.text
    item = await _item(platform, scene, item_id)
    assert (item.review_state, item.disposed_at) == (ReviewState.PENDING, None)
    assert await audit_events(platform, scene.force_id, "item.disposed") == []

    approver = await _user(platform, scene, supervisor.user_id)
    with pytest.raises(DisposalRefused, match="refuse this request, then decline the item"):
        async with force_transaction(platform, scene.force_id) as tx:
            found = await tx.session.get(DisposalRequest, disposal_id)
            assert found is not None
            await approve_disposal(platform, tx, found, approver, "Agreed")

    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        await client.get(f"/items/{item_id}")
        refused = await submit(client, f"/disposals/{disposal_id}/refuse", {"note": "Review it"})
        assert "Disposal refused." in refused.text
        assert 'data-action="decline"' in refused.text  # the review can go on
    async with platform.force_session(scene.force_id) as session:
        states = list(await session.scalars(select(DisposalRequest.state)))
    assert states == [DisposalState.REFUSED]


async def _user(platform: Platform, scene: Scene, user_id: int) -> User:
    async with platform.force_session(scene.force_id) as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user
