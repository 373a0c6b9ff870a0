"""Sending: the files the page lists, the send form's errors, and the receipt."""

import os

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.uploads.models import EvidenceRequest, RequestState, Submission
from tests.citizen.conftest import CASE_REFERENCE, send_file, set_force
from tests.fixtures.witness import Scene, sha256

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + os.urandom(
    3 * 1024 * 1024
)
CONFIRMED = {"statement": "", "confirm": "yes"}


async def test_the_page_lists_received_and_unfinished_files(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await send_file(client, scene.token, JPEG, "car.jpg")
    unfinished = await send_file(client, scene.token, JPEG, "second.jpg", complete=False)

    files = (await client.get(f"/u/{scene.token}/files")).json()
    page = (await client.get(f"/u/{scene.token}")).text

    assert files["received"] == [
        {"name": "car.jpg", "size": len(JPEG), "sha256": sha256(JPEG), "state": "received"}
    ]
    assert files["unfinished"] == [
        {
            "name": "second.jpg",
            "size": len(JPEG),
            "received_bytes": len(JPEG) // 2,
            "url": unfinished,
        }
    ]
    assert "car.jpg" in page
    assert "3.1 MB" in page
    assert "second.jpg" in page
    assert "did not finish uploading" in page


async def test_a_file_sent_without_a_name_is_listed_under_its_upload_id(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    unfinished = await send_file(client, scene.token, JPEG, "", complete=False)

    files = (await client.get(f"/u/{scene.token}/files")).json()

    assert [u["name"] for u in files["unfinished"]] == [unfinished.rsplit("/", 1)[1]]


async def test_sending_with_nothing_uploaded_shows_the_error_summary(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    response = await client.post(f"/u/{scene.token}/finish", data={"statement": "hello"})

    assert response.status_code == 400
    html = response.text
    assert 'class="govuk-error-summary"' in html
    assert '<a href="#file-input">Add at least one file before you send</a>' in html
    assert '<a href="#confirm">Confirm that these files are yours to share' in html
    assert "<title>Error: " in html
    assert ">hello</textarea>" in html  # what the witness wrote is kept


async def test_reloading_the_address_of_a_refused_send_goes_back_to_the_page(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    """After a refused Send the address bar shows /finish; a reload there is a GET."""
    refused = await client.post(f"/u/{scene.token}/finish", data={"statement": "hello"})
    assert refused.status_code == 400

    reloaded = await client.get(f"/u/{scene.token}/finish", follow_redirects=False)

    assert reloaded.status_code == 303
    assert reloaded.headers["location"] == f"/u/{scene.token}"
    assert (await client.get(f"/u/{scene.token}/finish")).status_code == 200


async def test_sending_while_a_file_is_unfinished_asks_to_wait(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await send_file(client, scene.token, JPEG, "car.jpg")
    await send_file(client, scene.token, JPEG, "half.jpg", complete=False)

    response = await client.post(f"/u/{scene.token}/finish", data=CONFIRMED)

    assert response.status_code == 400
    assert "Wait for your files to finish uploading, or remove them" in response.text
    async with platform.force_session(scene.force_id) as session:
        request = await session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        assert request.state != RequestState.SUBMITTED


async def test_a_statement_over_the_limit_is_refused(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await send_file(client, scene.token, JPEG, "car.jpg")

    response = await client.post(
        f"/u/{scene.token}/finish", data={"statement": "x" * 5001, "confirm": "yes"}
    )

    assert response.status_code == 400
    assert "Your message must be 5,000 characters or fewer" in response.text


async def test_errors_are_in_welsh_on_a_welsh_page(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await set_force(platform, scene.force_id, welsh_enabled=True)
    await client.get(f"/u/{scene.token}?lang=cy")

    response = await client.post(f"/u/{scene.token}/finish", data={})

    assert response.status_code == 400
    assert '<html lang="cy"' in response.text
    assert "Mae problem wedi codi" in response.text
    assert "Ychwanegwch o leiaf un ffeil cyn anfon" in response.text


async def test_sending_shows_the_receipt_with_each_file_as_stored(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await send_file(client, scene.token, JPEG, "car.jpg")

    sent = await client.post(
        f"/u/{scene.token}/finish",
        data={"statement": "It was a red car.\r\nIt drove off fast.", "confirm": "yes"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/u/{scene.token}/receipt"

    receipt = await client.get(f"/u/{scene.token}/receipt")
    assert receipt.status_code == 200
    async with platform.force_session(scene.force_id) as session:
        submission = await session.scalar(
            select(Submission).where(Submission.request_id == scene.request_id)
        )
        assert submission is not None
        assert submission.statement == "It was a red car.\nIt drove off fast."
    html = receipt.text
    assert submission.reference in html
    assert "car.jpg" in html
    assert sha256(JPEG) in html
    assert f"{len(JPEG):,} bytes" in html
    assert "3.1 MB" in html
    assert "What happens next" in html
    assert "Call 101 quoting your reference" in html
    assert CASE_REFERENCE not in html

    # The link now leads to the receipt, and sends nothing more.
    again = await client.get(f"/u/{scene.token}", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, f"/u/{scene.token}/receipt")
    resent = await client.post(f"/u/{scene.token}/finish", data=CONFIRMED, follow_redirects=False)
    assert resent.status_code == 303
    files = await client.get(f"/u/{scene.token}/files")
    assert (files.status_code, files.json()) == (410, {"problem": "submitted"})


async def test_the_receipt_waits_until_the_witness_has_sent(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    response = await client.get(f"/u/{scene.token}/receipt", follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (303, f"/u/{scene.token}")


async def test_a_link_revoked_while_the_page_is_open_cannot_send(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    await send_file(client, scene.token, JPEG, "car.jpg")
    async with force_transaction(platform, scene.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        request.state = RequestState.REVOKED

    response = await client.post(f"/u/{scene.token}/finish", data=CONFIRMED)

    assert response.status_code == 410
    assert "This link has been cancelled" in response.text
