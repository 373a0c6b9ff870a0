"""A force that offers Welsh: its own texts in Welsh on the Welsh pages, and the receipt in
the language the witness sent in."""

import os
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.db.base import utcnow
from exhibit.notifications.models import Notification
from exhibit.notifications.service import MessageContent, unseal
from exhibit.platform import Platform
from exhibit.uploads.models import RequestState, Submission
from tests.citizen.conftest import PRIVACY, send_file, set_force, set_request
from tests.fixtures.witness import Scene, sha256

CONTACT = "Call 101 quoting your reference"  # make_scene's force contact details
CONTACT_CY = "Ffoniwch 101 a rhowch eich cyfeirnod"
PRIVACY_CY = (
    "Mae Heddlu Caint yn cadw'r hyn a anfonwch cyhyd ag y mae'r gyfraith yn ei gwneud yn ofynnol."
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + os.urandom(4096)


async def _welsh_force(platform: Platform, scene: Scene, **texts: str) -> None:
    await set_force(platform, scene.force_id, welsh_enabled=True, **texts)


async def _receipt_sent(platform: Platform, scene: Scene) -> tuple[Submission, MessageContent]:
    async with platform.force_session(scene.force_id) as session:
        submission = await session.scalar(
            select(Submission).where(Submission.request_id == scene.request_id)
        )
        message = (
            await session.scalars(select(Notification).where(Notification.purpose == "receipt"))
        ).one()
    assert submission is not None and message.body_encrypted is not None
    return submission, unseal(platform.secret_box, message.body_encrypted)


async def test_the_welsh_page_shows_the_forces_welsh_privacy_notice(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await _welsh_force(platform, scene, privacy_notice_cy=PRIVACY_CY)

    welsh = (await client.get(f"/u/{scene.token}?lang=cy")).text
    english = (await client.get(f"/u/{scene.token}?lang=en")).text

    assert "Mae Heddlu Caint yn cadw&#39;r hyn a anfonwch" in welsh
    assert PRIVACY not in welsh
    assert PRIVACY in english
    assert "Heddlu Caint" not in english


async def test_the_welsh_page_falls_back_to_the_english_texts_a_force_has_not_translated(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    """The privacy notice is in Welsh, the contact details are not: they show in English."""
    await _welsh_force(platform, scene, privacy_notice_cy=PRIVACY_CY)
    await set_request(platform, scene.request_id, expires_at=utcnow() - timedelta(minutes=1))

    expired = await client.get(f"/u/{scene.token}?lang=cy")

    assert expired.status_code == 410
    assert '<html lang="cy"' in expired.text
    assert CONTACT in expired.text


async def test_expired_and_revoked_pages_in_welsh_give_the_welsh_contact_details(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await _welsh_force(platform, scene, contact_details_cy=CONTACT_CY)
    await set_request(platform, scene.request_id, expires_at=utcnow() - timedelta(minutes=1))
    expired = await client.get(f"/u/{scene.token}?lang=cy")
    await set_request(platform, scene.request_id, expires_at=utcnow() + timedelta(days=1))
    await set_request(platform, scene.request_id, state=RequestState.REVOKED)
    revoked = await client.get(f"/u/{scene.token}?lang=cy")
    in_english = await client.get(f"/u/{scene.token}?lang=en")

    assert (expired.status_code, revoked.status_code) == (410, 410)
    for response in (expired, revoked):
        assert "Mae&#39;r ddolen hon" in response.text
        assert CONTACT_CY in response.text
        assert CONTACT not in response.text
    assert CONTACT in in_english.text
    assert CONTACT_CY not in in_english.text


async def test_sending_from_the_welsh_page_gives_a_welsh_receipt_with_the_welsh_contact(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await _welsh_force(platform, scene, contact_details_cy=CONTACT_CY)
    page = await client.get(f"/u/{scene.token}?lang=cy")
    assert '<input type="hidden" name="lang" value="cy">' in page.text
    await send_file(client, scene.token, JPEG, "car.jpg")

    sent = await client.post(f"/u/{scene.token}/finish", data={"confirm": "yes", "lang": "cy"})

    assert sent.status_code == 200
    assert '<html lang="cy"' in sent.text
    assert CONTACT_CY in sent.text  # the receipt page
    assert CONTACT not in sent.text
    submission, receipt = await _receipt_sent(platform, scene)
    assert submission.language == "cy"
    assert receipt.subject == f"Kent Police: derbynneb {submission.reference}"
    assert receipt.body.splitlines() == [
        f"Mae Kent Police wedi cael eich tystiolaeth. Cyfeirnod: {submission.reference}",
        "",
        f"car.jpg ({len(JPEG)} beit)",
        f"SHA-256: {sha256(JPEG)}",
        "",
        f"Cwestiynau: {CONTACT_CY}",
    ]


async def test_the_receipt_follows_the_page_even_when_the_language_cookie_was_refused(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    """The form says which page it was on; the cookie is only the fallback."""
    await _welsh_force(platform, scene)
    await send_file(client, scene.token, JPEG, "car.jpg")
    client.cookies.clear()

    await client.post(f"/u/{scene.token}/finish", data={"confirm": "yes", "lang": "cy"})

    submission, receipt = await _receipt_sent(platform, scene)
    assert submission.language == "cy"
    assert receipt.body.startswith("Mae Kent Police wedi cael eich tystiolaeth.")
    assert f"Cwestiynau: {CONTACT}" in receipt.body  # no Welsh contact details: the English


async def test_a_force_without_welsh_sends_an_english_receipt_whatever_the_form_says(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await set_force(platform, scene.force_id, contact_details_cy=CONTACT_CY)
    await send_file(client, scene.token, JPEG, "car.jpg")

    await client.post(f"/u/{scene.token}/finish", data={"confirm": "yes", "lang": "cy"})

    submission, receipt = await _receipt_sent(platform, scene)
    assert submission.language == "en"
    assert receipt.subject == f"Kent Police: receipt {submission.reference}"
    assert receipt.body.splitlines() == [
        f"Kent Police has received your evidence. Reference: {submission.reference}",
        "",
        f"car.jpg ({len(JPEG)} bytes)",
        f"SHA-256: {sha256(JPEG)}",
        "",
        f"Questions: {CONTACT}",
    ]


async def test_the_welsh_pages_and_receipt_name_the_force_in_welsh(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await _welsh_force(platform, scene, name_cy="Heddlu Caint", privacy_notice_cy=PRIVACY_CY)

    english = (await client.get(f"/u/{scene.token}?lang=en")).text
    welsh = (await client.get(f"/u/{scene.token}?lang=cy")).text
    await send_file(client, scene.token, JPEG, "car.jpg")
    sent = await client.post(f"/u/{scene.token}/finish", data={"confirm": "yes", "lang": "cy"})

    assert '<p class="citizen-header__force">Heddlu Caint</p>' in welsh
    assert "Mae Heddlu Caint wedi gofyn i chi anfon" in welsh
    assert "Kent Police" not in welsh
    assert "Heddlu Caint" not in english
    assert "Kent Police" not in sent.text
    submission, receipt = await _receipt_sent(platform, scene)
    assert receipt.subject == f"Heddlu Caint: derbynneb {submission.reference}"
    assert receipt.body.startswith("Mae Heddlu Caint wedi cael eich tystiolaeth.")
