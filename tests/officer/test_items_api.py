"""The JSON API for items: the same review actions, downloads and history as the web app."""

from exhibit.accounts.models import Role, User
from exhibit.accounts.service import create_api_token
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.evidence.arrivals import DOCX, arrived, docx, png
from tests.fixtures.officer import audit_events, browser, make_user
from tests.fixtures.witness import Scene, make_scene


async def _token(platform: Platform, force_id: int, user_id: int) -> dict[str, str]:
    async with force_transaction(platform, force_id) as tx:
        user = await tx.session.get(User, user_id)
        assert user is not None
        _, token = await create_api_token(tx.session, user, name="test", actor="test")
    return {"Authorization": f"Bearer {token}"}


async def _officer(platform: Platform, scene: Scene) -> dict[str, str]:
    return await _token(platform, scene.force_id, scene.officer_id)


async def test_review_through_the_api(settings: Settings, platform: Platform) -> None:
    scene = await make_scene(platform)
    data = png()
    first, second = [await arrived(platform, scene, png(colour=(c, 2, 2))) for c in (1, 2)]
    third = await arrived(platform, scene, data)
    auth = await _officer(platform, scene)
    async with browser(settings) as client:
        shown = await client.get(f"/api/v1/items/{first}", headers=auth)
        assert shown.status_code == 200
        assert shown.json()["review_state"] == "pending"

        accepted = await client.post(f"/api/v1/items/{first}/accept", headers=auth)
        assert accepted.status_code == 201
        assert accepted.json()["exhibit_reference"] == "T/1"
        again = await client.post(f"/api/v1/items/{first}/accept", headers=auth)
        assert again.status_code == 400
        assert "already exhibit T/1" in again.text

        no_reason = await client.post(
            f"/api/v1/items/{second}/decline", headers=auth, json={"reason": ""}
        )
        assert no_reason.status_code == 400
        declined = await client.post(
            f"/api/v1/items/{second}/decline", headers=auth, json={"reason": "Blurred"}
        )
        assert declined.json()["review_state"] == "declined"
        assert declined.json()["retain_until"] is not None

        tagged = await client.put(
            f"/api/v1/items/{first}/tags", headers=auth, json={"tags": ["van", "van", "night"]}
        )
        assert tagged.json()["tags"] == ["van", "night"]
        marked = await client.put(
            f"/api/v1/items/{first}/sensitive", headers=auth, json={"sensitive": True}
        )
        assert marked.json()["sensitive"] is True
        no_category = await client.put(
            f"/api/v1/items/{first}/category", headers=auth, json={"category_id": 99}
        )
        assert no_category.status_code == 400

        listed = await client.get(f"/api/v1/cases/{scene.case_id}/items", headers=auth)
        by_id = {i["id"]: i for i in listed.json()}
        assert by_id[first]["exhibit_reference"] == "T/1"

        refused = await client.get(f"/api/v1/items/{third}/original", headers=auth)
        assert refused.status_code == 400
        got = await client.get(
            f"/api/v1/items/{third}/original",
            headers={**auth, "Range": "bytes=0-9"},
            params={"reason": "Disclosure"},
        )
        assert got.status_code == 206
        assert got.content == data[:10]
        assert got.headers["content-disposition"].startswith("attachment")

        history = await client.get(f"/api/v1/items/{first}/continuity", headers=auth)
        actions = [step["action"] for step in history.json()]
        assert actions[0] == "evidence.received"
        assert {"item.viewed", "item.accepted", "item.tagged"} <= set(actions)

    [downloaded] = await audit_events(platform, scene.force_id, "item.downloaded")
    assert downloaded.reason == "Disclosure"


async def test_the_api_refuses_small_roles_and_other_forces(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    auditor = await make_user(platform, "kent", Role.AUDITOR)
    stranger = await make_user(platform, "essex", Role.OFFICER)
    as_auditor = await _token(platform, auditor.force_id, auditor.user_id)
    as_stranger = await _token(platform, stranger.force_id, stranger.user_id)
    async with browser(settings) as client:
        assert (await client.get(f"/api/v1/items/{item_id}", headers=as_auditor)).status_code == 200
        refused = await client.post(f"/api/v1/items/{item_id}/accept", headers=as_auditor)
        assert refused.status_code == 403
        download = await client.get(
            f"/api/v1/items/{item_id}/original", headers=as_auditor, params={"reason": "x"}
        )
        assert download.status_code == 403
        for response in (
            await client.get(f"/api/v1/items/{item_id}", headers=as_stranger),
            await client.post(f"/api/v1/items/{item_id}/accept", headers=as_stranger),
            await client.get(
                f"/api/v1/items/{item_id}/original", headers=as_stranger, params={"reason": "x"}
            ),
        ):
            assert response.status_code == 404
        assert (await client.get(f"/api/v1/items/{item_id}")).status_code == 401


async def test_release_from_quarantine_through_the_api_is_for_a_supervisor(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, docx(), filename="statement.docx", declared_type=DOCX)
    pending_id = await arrived(platform, scene, png())
    manager = await make_user(platform, "kent", Role.EVIDENCE_MANAGER)
    as_manager = await _token(platform, scene.force_id, manager.user_id)
    as_officer = await _officer(platform, scene)
    url = f"/api/v1/items/{item_id}/release"
    async with browser(settings) as client:
        refused = await client.post(url, headers=as_officer, json={"reason": "Looked at it"})
        assert refused.status_code == 403
        shown = await client.get(f"/api/v1/items/{item_id}", headers=as_officer)
        assert shown.json()["review_state"] == "quarantined"
        assert "is not an accepted" in shown.json()["quarantine_reason"]
        accept = await client.post(f"/api/v1/items/{item_id}/accept", headers=as_officer)
        assert accept.status_code == 400
        assert "must release it into review" in accept.text

        blank = await client.post(url, headers=as_manager, json={"reason": " "})
        assert blank.status_code == 400
        not_held = await client.post(
            f"/api/v1/items/{pending_id}/release", headers=as_manager, json={"reason": "x"}
        )
        assert not_held.status_code == 400
        assert "is not quarantined" in not_held.text
        released = await client.post(url, headers=as_manager, json={"reason": "Checked it"})
        assert released.status_code == 201, released.text
        assert released.json()["review_state"] == "pending"
        assert "is not an accepted" in released.json()["quarantine_reason"]
        accepted = await client.post(f"/api/v1/items/{item_id}/accept", headers=as_officer)
        assert accepted.json()["exhibit_reference"] == "T/1"
    [event] = await audit_events(platform, scene.force_id, "item.quarantine_released")
    assert (event.actor, event.reason) == (f"user:{manager.user_id}", "Checked it")


async def test_the_api_keeps_the_review_frozen_while_a_disposal_awaits_a_decision(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    unreviewed, item_id = [await arrived(platform, scene, png(colour=(c, 4, 4))) for c in (1, 2)]
    auth = await _officer(platform, scene)
    async with browser(settings) as client:
        asked = await client.post(
            f"/api/v1/items/{unreviewed}/disposal", headers=auth, json={"reason": "Duplicate"}
        )
        assert asked.status_code == 400
        assert "has not been reviewed" in asked.text

        await client.post(f"/api/v1/items/{item_id}/decline", headers=auth, json={"reason": "Dup"})
        asked = await client.post(
            f"/api/v1/items/{item_id}/disposal", headers=auth, json={"reason": "Duplicate"}
        )
        assert asked.status_code == 201, asked.text
        for method, path, body in (
            ("POST", "accept", None),
            ("PUT", "category", {"category_id": None}),
            ("POST", "disposal", {"reason": "Again"}),
        ):
            refused = await client.request(
                method, f"/api/v1/items/{item_id}/{path}", headers=auth, json=body
            )
            assert refused.status_code == 400, path
            assert "awaiting" in refused.text, path
        tagged = await client.put(
            f"/api/v1/items/{item_id}/tags", headers=auth, json={"tags": ["duplicate"]}
        )
        assert tagged.json()["tags"] == ["duplicate"]
        marked = await client.put(
            f"/api/v1/items/{item_id}/sensitive", headers=auth, json={"sensitive": True}
        )
        assert marked.json()["sensitive"] is True
        shown = await client.get(f"/api/v1/items/{item_id}", headers=auth)
        assert shown.json()["review_state"] == "declined"
    assert await audit_events(platform, scene.force_id, "item.accepted") == []
