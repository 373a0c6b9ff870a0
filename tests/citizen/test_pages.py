"""The upload page a witness opens, and the pages for links that cannot be used."""

from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.audit.models import AuditEvent
from exhibit.db.base import utcnow
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.storage.capabilities import DEFAULT_UPLOAD_CHUNK
from exhibit.uploads.models import EvidenceRequest, RequestState
from exhibit.uploads.requests import revoke_request
from tests.citizen.conftest import (
    CASE_REFERENCE,
    CASE_TITLE,
    MESSAGE,
    PLACE,
    PRIVACY,
    set_force,
    set_request,
)
from tests.fixtures.witness import Scene, script_config

CONTACT = "Call 101 quoting your reference"  # make_scene's force contact details


def _assert_no_case_data(html: str) -> None:
    assert CASE_REFERENCE not in html
    assert CASE_TITLE not in html
    assert "07911" not in html  # the witness's own number stays out of the page too


async def test_the_page_shows_the_force_the_message_and_the_privacy_notice(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    response = await client.get(f"/u/{scene.token}")

    assert response.status_code == 200
    html = response.text
    assert "Kent Police" in html
    assert MESSAGE in html
    assert PLACE in html
    assert PRIVACY in html
    assert '<html lang="en"' in html
    assert '<meta name="referrer" content="no-referrer">' in html
    assert 'accept="image/*,video/*,audio/*,.pdf"' in html
    assert "<noscript>" in html
    _assert_no_case_data(html)
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers.get_list("cache-control") == ["no-store"]
    assert "set-cookie" not in response.headers  # no officer session, no language cookie


async def test_the_script_sends_chunks_of_the_size_the_store_prefers(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    """The local store states no preference: the default, large enough to spare requests."""
    config = script_config((await client.get(f"/u/{scene.token}")).text)

    assert config["chunkSize"] == DEFAULT_UPLOAD_CHUNK
    assert config["uploadEndpoint"] == "/uploads/"


async def test_the_first_view_marks_the_request_opened_once(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await client.get(f"/u/{scene.token}")
    await client.get(f"/u/{scene.token}")

    async with platform.force_session(scene.force_id) as session:
        request = await session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        assert request.state == RequestState.OPENED
        assert request.opened_at is not None
        opened = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "request.opened"))
        ).all()
    assert [(e.actor, e.object_id) for e in opened] == [
        (f"witness:request:{scene.request_id}", str(scene.request_id))
    ]


async def test_an_unknown_link_gets_a_kind_404_without_any_force(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    response = await client.get("/u/not-a-real-token-at-all")

    assert response.status_code == 404
    assert "This link does not work" in response.text
    assert "contact the officer who sent it" in response.text
    assert "Kent Police" not in response.text


async def test_an_expired_link_gets_a_410_with_the_force_contact_details(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await set_request(platform, scene.request_id, expires_at=utcnow() - timedelta(minutes=1))

    response = await client.get(f"/u/{scene.token}")

    assert response.status_code == 410
    assert "This link has expired" in response.text
    assert CONTACT in response.text
    assert MESSAGE not in response.text
    _assert_no_case_data(response.text)


async def test_a_revoked_link_gets_a_410_saying_it_was_cancelled(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    async with force_transaction(platform, scene.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        await revoke_request(tx.session, request, reason="sent to the wrong number", actor="test")

    response = await client.get(f"/u/{scene.token}")

    assert response.status_code == 410
    assert "This link has been cancelled" in response.text
    assert CONTACT in response.text
    assert "wrong number" not in response.text
    _assert_no_case_data(response.text)


async def test_the_script_gets_json_for_a_link_that_cannot_be_used(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    unknown = await client.get("/u/nothing-here/files")
    await set_request(platform, scene.request_id, expires_at=utcnow() - timedelta(minutes=1))
    expired = await client.get(f"/u/{scene.token}/files")

    assert (unknown.status_code, unknown.json()) == (404, {"problem": "unknown"})
    assert (expired.status_code, expired.json()) == (410, {"problem": "expired"})


async def test_welsh_is_offered_only_when_the_force_enables_it(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    english_only = await client.get(f"/u/{scene.token}?lang=cy")
    assert '<html lang="en"' in english_only.text
    assert "Cymraeg" not in english_only.text
    assert "exhibit_lang" not in english_only.headers.get("set-cookie", "")

    await set_force(platform, scene.force_id, welsh_enabled=True)
    offered = await client.get(f"/u/{scene.token}")
    assert '<html lang="en"' in offered.text
    assert f'href="/u/{scene.token}?lang=cy"' in offered.text

    welsh = await client.get(f"/u/{scene.token}?lang=cy")
    assert '<html lang="cy"' in welsh.text
    assert "Anfonwch eich lluniau a&#39;ch fideos" in welsh.text
    assert MESSAGE in welsh.text  # the officer's own words are shown as written
    assert "exhibit_lang=cy" in welsh.headers["set-cookie"]

    remembered = await client.get(f"/u/{scene.token}")
    assert '<html lang="cy"' in remembered.text

    back = await client.get(f"/u/{scene.token}?lang=en")
    assert '<html lang="en"' in back.text


async def test_too_many_unknown_links_from_one_address_get_a_429(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    statuses = [(await client.get(f"/u/guess-{n}")).status_code for n in range(21)]

    assert statuses[:20] == [404] * 20
    assert statuses[20] == 429
    limited = await client.get("/u/guess-again")
    assert "Too many attempts" in limited.text
    assert int(limited.headers["retry-after"]) > 0


async def test_one_link_viewed_too_often_gets_a_429(
    client: AsyncTestClient[Litestar],
    platform: Platform,
    scene: Scene,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("exhibit.web.citizen.access.LINK_VIEW_LIMIT", 3)

    statuses = [(await client.get(f"/u/{scene.token}")).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


async def test_a_link_that_matched_nothing_is_in_welsh_when_asked(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    response = await client.get("/u/forged123?lang=cy")

    assert response.status_code == 404
    assert '<html lang="cy"' in response.text
    assert "Nid yw&#39;r ddolen hon yn gweithio" in response.text
    assert 'href="/u/forged123?lang=en"' in response.text  # no force rules Welsh out
    assert "set-cookie" not in response.headers

    english = await client.get("/u/forged123?lang=en")
    assert '<html lang="en"' in english.text
    assert 'href="/u/forged123?lang=cy"' in english.text

    # A link of a force without Welsh stays in English, even when it cannot be used.
    await set_request(platform, scene.request_id, expires_at=utcnow() - timedelta(minutes=1))
    expired = await client.get(f"/u/{scene.token}?lang=cy")
    assert expired.status_code == 410
    assert '<html lang="en"' in expired.text
    assert "Cymraeg" not in expired.text


async def test_problem_pages_carry_the_security_headers_and_one_cache_control(
    client: AsyncTestClient[Litestar],
    platform: Platform,
    scene: Scene,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("exhibit.web.citizen.access.LINK_VIEW_LIMIT", 1)
    shown = await client.get(f"/u/{scene.token}")
    limited = await client.get(f"/u/{scene.token}")
    forged = await client.get("/u/forged123")
    await set_request(platform, scene.request_id, expires_at=utcnow() - timedelta(minutes=1))
    expired = await client.get(f"/u/{scene.token}")

    for response, status in ((shown, 200), (limited, 429), (forged, 404), (expired, 410)):
        assert response.status_code == status
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], status
        assert response.headers["x-frame-options"] == "DENY", status
        assert response.headers["x-content-type-options"] == "nosniff", status
        assert response.headers["referrer-policy"] == "no-referrer", status
        assert response.headers.get_list("cache-control") == ["no-store"], status
