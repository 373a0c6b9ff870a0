"""The tus 1.0.0 server through the real app: a table of request -> response, then scenarios."""

import base64
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from exhibit.audit.models import AuditEvent
from exhibit.cases.models import Case as CaseRow
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_info, force_transaction
from exhibit.platform import Platform
from exhibit.storage.backend import ObjectNotFound
from exhibit.uploads.links import UNKNOWN_LINK_LIMIT
from exhibit.uploads.models import EvidenceRequest, RequestState, Upload
from exhibit.uploads.requests import NewRequest, create_request, revoke_request
from exhibit.uploads.tus import access
from tests.fixtures.tus_client import create_upload, head_offset, metadata, patch_chunk, tus_headers
from tests.fixtures.witness import Scene, make_scene

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + os.urandom(40_000)
ELF = b"\x7fELF\x02\x01\x01\x00" + os.urandom(20_000)
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + os.urandom(20_000)
OFFSET_STREAM = "application/offset+octet-stream"


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


async def upload_row(platform: Platform, force_id: int, path: str) -> Upload:
    async with platform.force_session(force_id) as session:
        upload = await session.scalar(select(Upload).where(Upload.public_id == path.split("/")[-1]))
    assert upload is not None
    return upload


async def stored_size(platform: Platform, force_id: int, path: str) -> int:
    """How many bytes the store holds for an upload in progress."""
    upload = await upload_row(platform, force_id, path)
    async with platform.force_session(force_id) as session:
        force = await force_info(session, force_id)
    backend = platform.storage(force, upload.storage_backend)
    return await backend.size(upload.storage_key, upload.storage_state)


async def audit_actions(platform: Platform, force_id: int) -> list[str]:
    async with platform.force_session(force_id) as session:
        return list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request against a fresh upload of 100 bytes with 10 already received."""

    name: str
    method: str
    target: str  # "collection", "upload" or "unknown"
    headers: dict[str, str]
    status: int
    body: bytes = b""
    token: bool = True
    resumable: bool = True
    expect: dict[str, str] = field(default_factory=dict)
    offset_after: int | None = 10


_PATCH = {"Content-Type": OFFSET_STREAM}
TABLE = [
    Case("options", "OPTIONS", "collection", {}, 204, token=False, resumable=False,
         expect={"Tus-Version": "1.0.0", "Tus-Checksum-Algorithm": "sha1,sha256",
                 "Tus-Extension": "creation,creation-with-upload,termination,checksum,expiration"}),
    Case("options with token gives the link's max size", "OPTIONS", "upload", {}, 204,
         resumable=False, expect={"Tus-Max-Size": "1000000"}),
    Case("no Tus-Resumable", "POST", "collection", {"Upload-Length": "5"}, 412, resumable=False,
         expect={"Tus-Version": "1.0.0"}),
    Case("old Tus-Resumable", "HEAD", "upload", {"Tus-Resumable": "0.2.2"}, 412, resumable=False),
    Case("no token", "POST", "collection", {"Upload-Length": "5"}, 401, token=False),
    Case("no Upload-Length", "POST", "collection", {}, 400),
    Case("Upload-Length not a number", "POST", "collection", {"Upload-Length": "ten"}, 400),
    Case("negative Upload-Length", "POST", "collection", {"Upload-Length": "-1"}, 400),
    Case("deferred length", "POST", "collection", {"Upload-Defer-Length": "1"}, 400),
    Case("larger than the link allows", "POST", "collection", {"Upload-Length": "1000001"}, 413),
    Case("metadata not base64", "POST", "collection",
         {"Upload-Length": "5", "Upload-Metadata": "filename !!!"}, 400),
    Case("metadata key twice", "POST", "collection",
         {"Upload-Length": "5", "Upload-Metadata": "a YQ==,a YQ=="}, 400),
    Case("sha256 metadata not hex", "POST", "collection",
         {"Upload-Length": "5", "Upload-Metadata": metadata(sha256="xyz")}, 400),
    Case("creation", "POST", "collection",
         {"Upload-Length": "5", "Upload-Metadata": metadata(filename="a.jpg") + ",flag"}, 201),
    Case("method override on the collection", "POST", "collection",
         {"X-HTTP-Method-Override": "PATCH"}, 405),
    Case("HEAD", "HEAD", "upload", {}, 200,
         expect={"Upload-Offset": "10", "Upload-Length": "100", "Cache-Control": "no-store",
                 "Upload-Metadata": metadata(filename="IMG_1.jpg", filetype="image/jpeg")}),
    Case("HEAD through method override", "POST", "upload",
         {"X-HTTP-Method-Override": "HEAD"}, 200, expect={"Upload-Offset": "10"}),
    Case("HEAD unknown upload", "HEAD", "unknown", {}, 404),
    Case("PATCH", "PATCH", "upload", {**_PATCH, "Upload-Offset": "10"}, 204, body=b"x" * 20,
         expect={"Upload-Offset": "30"}, offset_after=30),
    Case("PATCH through method override", "POST", "upload",
         {**_PATCH, "Upload-Offset": "10", "X-HTTP-Method-Override": "PATCH"}, 204,
         body=b"x" * 5, expect={"Upload-Offset": "15"}, offset_after=15),
    Case("PATCH wrong content type", "PATCH", "upload",
         {"Content-Type": "application/octet-stream", "Upload-Offset": "10"}, 415, body=b"x"),
    Case("PATCH no Upload-Offset", "PATCH", "upload", _PATCH, 400, body=b"x"),
    Case("PATCH offset behind", "PATCH", "upload", {**_PATCH, "Upload-Offset": "0"}, 409,
         body=b"x" * 10),
    Case("PATCH offset ahead", "PATCH", "upload", {**_PATCH, "Upload-Offset": "20"}, 409,
         body=b"x" * 10),
    Case("PATCH past the length", "PATCH", "upload", {**_PATCH, "Upload-Offset": "10"}, 413,
         body=b"x" * 91),
    Case("PATCH unknown checksum algorithm", "PATCH", "upload",
         {**_PATCH, "Upload-Offset": "10", "Upload-Checksum": f"md5 {b64(b'0' * 16)}"}, 400,
         body=b"x"),
    Case("PATCH malformed checksum", "PATCH", "upload",
         {**_PATCH, "Upload-Offset": "10", "Upload-Checksum": "sha1"}, 400, body=b"x"),
    Case("PATCH unknown upload", "PATCH", "unknown", {**_PATCH, "Upload-Offset": "0"}, 404,
         body=b"x"),
    Case("GET is not tus", "GET", "upload", {}, 405),
    Case("DELETE", "DELETE", "upload", {}, 204, offset_after=None),
]  # fmt: skip


async def test_request_response_table(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    scene = await make_scene(platform, "kent", max_file_bytes=1_000_000)
    failures = []
    for case in TABLE:
        path = await create_upload(
            client, scene.token, 100, {"filename": "IMG_1.jpg", "filetype": "image/jpeg"}
        )
        assert (await patch_chunk(client, scene.token, path, 0, b"s" * 10)).status_code == 204
        target = {"collection": "/uploads/", "upload": path, "unknown": "/uploads/" + "0" * 32}
        headers = {"Tus-Resumable": "1.0.0"} if case.resumable else {}
        if case.token:
            headers["Exhibit-Upload-Token"] = scene.token
        headers.update(case.headers)
        response = await client.request(
            case.method, target[case.target], headers=headers, content=case.body or None
        )
        problems = []
        if response.status_code != case.status:
            problems.append(f"status {response.status_code} ({response.text!r})")
        if response.headers.get("Tus-Resumable") != "1.0.0" and case.status != 405:
            problems.append("no Tus-Resumable")
        for name, value in case.expect.items():
            if response.headers.get(name) != value:
                problems.append(f"{name}: {response.headers.get(name)!r} != {value!r}")
        if case.offset_after is not None:
            offset = await head_offset(client, scene.token, path)
            stored = await stored_size(platform, scene.force_id, path)
            if (offset, stored) != (case.offset_after, case.offset_after):
                problems.append(f"offset {offset} / stored {stored} after")
        if problems:
            failures.append(f"{case.name}: {'; '.join(problems)}")
        # Keep under the link's file limit: discard what this case left behind.
        await client.delete(path, headers=tus_headers(scene.token))
    assert not failures, "\n".join(failures)


# --- checksums ----------------------------------------------------------------------------


async def test_a_chunk_failing_its_checksum_is_discarded_and_the_upload_resumes(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    data = JPEG
    path = await create_upload(client, scene.token, len(data), {"filename": "IMG_2.jpg"})
    first, second = data[:10_000], data[10_000:]
    sha1_ok = f"sha1 {b64(hashlib.sha1(first).digest())}"
    response = await patch_chunk(client, scene.token, path, 0, first, Upload_Checksum=sha1_ok)
    assert (response.status_code, response.headers["upload-offset"]) == (204, "10000")

    corrupted = second[:500] + b"\x00" + second[501:]
    wrong = f"sha256 {b64(hashlib.sha256(second).digest())}"
    response = await patch_chunk(
        client, scene.token, path, 10_000, corrupted, Upload_Checksum=wrong
    )
    assert response.status_code == 460
    assert response.headers["tus-resumable"] == "1.0.0"
    assert await head_offset(client, scene.token, path) == 10_000
    assert await stored_size(platform, scene.force_id, path) == 10_000

    response = await patch_chunk(client, scene.token, path, 10_000, second, Upload_Checksum=wrong)
    assert response.status_code == 204
    async with platform.force_session(scene.force_id) as session:
        item = await session.scalar(select(EvidenceItem))
    assert item is not None
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.size == len(data)


async def test_creation_with_upload_and_a_checksum(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    data = JPEG[:30_000]
    headers = tus_headers(
        scene.token,
        Upload_Length=str(len(JPEG)),
        Upload_Metadata=metadata(filename="IMG_3.jpg"),
        Content_Type=OFFSET_STREAM,
        Upload_Checksum=f"sha256 {b64(hashlib.sha256(data).digest())}",
    )
    response = await client.post("/uploads/", headers=headers, content=data)
    assert response.status_code == 201
    assert response.headers["upload-offset"] == "30000"
    assert "upload-expires" in response.headers
    path = response.headers["location"]
    assert await head_offset(client, scene.token, path) == 30_000

    # A first chunk that fails its checksum is discarded, but the upload exists to resume.
    headers["Upload-Checksum"] = f"sha1 {b64(hashlib.sha1(b'other').digest())}"
    refused = await client.post("/uploads/", headers=headers, content=data)
    assert refused.status_code == 460
    assert await head_offset(client, scene.token, refused.headers["location"]) == 0


# --- links and who may touch what ---------------------------------------------------------


async def test_refused_links(client: AsyncTestClient[Litestar], platform: Platform) -> None:
    expired, revoked, submitted = [
        await make_scene(platform, slug) for slug in ("kent", "essex", "devon")
    ]
    path = await create_upload(client, expired.token, 10)
    async with force_transaction(platform, expired.force_id) as tx:
        await tx.session.execute(
            update(EvidenceRequest)
            .where(EvidenceRequest.id == expired.request_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    async with force_transaction(platform, revoked.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, revoked.request_id)
        assert request is not None
        await revoke_request(tx.session, request, reason="sent to the wrong person", actor="test")
    async with force_transaction(platform, submitted.force_id) as tx:
        await tx.session.execute(
            update(EvidenceRequest)
            .where(EvidenceRequest.id == submitted.request_id)
            .values(state=RequestState.SUBMITTED)
        )

    expectations = [
        (expired.token, "POST", "/uploads/", 403, "expired"),
        (expired.token, "HEAD", path, 403, ""),
        (expired.token, "PATCH", path, 403, ""),
        (revoked.token, "POST", "/uploads/", 403, "withdrawn"),
        (submitted.token, "POST", "/uploads/", 403, "already been sent"),
        ("forged-" + "x" * 30, "POST", "/uploads/", 401, "not recognised"),
        ("", "POST", "/uploads/", 401, "required"),
    ]
    for token, method, target, status, text in expectations:
        headers = tus_headers(token or None, Upload_Length="10", Upload_Offset="0")
        headers["Content-Type"] = OFFSET_STREAM
        response = await client.request(method, target, headers=headers, content=b"x")
        assert response.status_code == status, (token[:6], method)
        assert text in response.text
        assert "kent" not in response.text.lower()  # no case or force data in refusals


async def test_a_token_opens_only_its_own_requests_uploads(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    force_a = await make_scene(platform, "kent")
    force_b = await make_scene(platform, "essex")
    async with force_transaction(platform, force_b.force_id) as tx:
        force_row = await tx.session.get(Force, force_b.force_id)
        case = await tx.session.get(CaseRow, force_b.case_id)
        assert force_row is not None
        assert case is not None
        _, sibling_token = await create_request(
            tx.session,
            platform.secret_box,
            force_row,
            case,
            NewRequest(recipient_name="Other Witness", channels=("sms",), phone="07911 123457"),
            officer_id=None,
            actor="test",
            public_url="https://exhibit.test",
        )
    path_b = await create_upload(client, force_b.token, 100)
    for stranger in (force_a.token, sibling_token):
        for method in ("HEAD", "PATCH", "DELETE"):
            headers = tus_headers(stranger, Upload_Offset="0", Content_Type=OFFSET_STREAM)
            response = await client.request(method, path_b, headers=headers, content=b"x" * 10)
            assert response.status_code == 404, method
    assert await head_offset(client, force_b.token, path_b) == 0
    assert await stored_size(platform, force_b.force_id, path_b) == 0


async def test_the_file_limit_counts_uploads_not_terminated(
    client: AsyncTestClient[Litestar], platform: Platform
) -> None:
    scene = await make_scene(platform, "kent", max_files=2)
    first = await create_upload(client, scene.token, 10)
    await create_upload(client, scene.token, 10)
    headers = tus_headers(scene.token, Upload_Length="10")
    refused = await client.post("/uploads/", headers=headers)
    assert refused.status_code == 403
    assert "no more files" in refused.text
    assert (await client.delete(first, headers=tus_headers(scene.token))).status_code == 204
    assert (await client.post("/uploads/", headers=headers)).status_code == 201


async def test_unknown_tokens_are_rate_limited_per_client(
    client: AsyncTestClient[Litestar],
) -> None:
    headers = tus_headers("guess-" + "y" * 30, Upload_Length="10")
    # Guesses on the upload page and on the tus server share one allowance.
    guesses_on_pages = UNKNOWN_LINK_LIMIT // 2
    for _ in range(guesses_on_pages):
        assert (await client.get("/u/guess-" + "z" * 30)).status_code == 404
    for _ in range(UNKNOWN_LINK_LIMIT - guesses_on_pages):
        assert (await client.post("/uploads/", headers=headers)).status_code == 401
    limited = await client.post("/uploads/", headers=headers)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0


async def test_a_link_is_rate_limited(
    client: AsyncTestClient[Litestar], scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "LINK_LIMIT", 3)
    path = await create_upload(client, scene.token, 10)  # one hit
    for _ in range(2):
        assert (await client.head(path, headers=tus_headers(scene.token))).status_code == 200
    limited = await client.head(path, headers=tus_headers(scene.token))
    assert limited.status_code == 429
    assert "retry-after" in limited.headers


# --- termination, expiry, completion --------------------------------------------------------


async def test_termination_discards_the_partial_and_is_audited(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    path = await create_upload(client, scene.token, 100)
    assert (await patch_chunk(client, scene.token, path, 0, b"a" * 40)).status_code == 204
    upload = await upload_row(platform, scene.force_id, path)

    response = await client.delete(path, headers=tus_headers(scene.token))
    assert response.status_code == 204
    assert response.headers["tus-resumable"] == "1.0.0"
    with pytest.raises(ObjectNotFound):
        await stored_size(platform, scene.force_id, path)
    assert (await upload_row(platform, scene.force_id, path)).terminated_at is not None
    assert (await client.head(path, headers=tus_headers(scene.token))).status_code == 410
    gone = await patch_chunk(client, scene.token, path, 40, b"b" * 10)
    assert gone.status_code == 410
    async with platform.force_session(scene.force_id) as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "upload.terminated")
        )
    assert event is not None
    assert event.object_id == str(upload.id)
    assert event.actor == f"witness:request:{scene.request_id}"


async def test_a_completed_upload_becomes_evidence_and_cannot_be_terminated(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    data = JPEG
    sha = hashlib.sha256(data).hexdigest()
    path = await create_upload(
        client,
        scene.token,
        len(data),
        {"filename": "IMG_4.jpg", "filetype": "image/jpeg", "caption": "the van", "sha256": sha},
    )
    for start in range(0, len(data), 16_384):
        response = await patch_chunk(client, scene.token, path, start, data[start : start + 16_384])
        assert response.status_code == 204
    assert response.headers["upload-offset"] == str(len(data))
    assert "upload-expires" not in response.headers

    async with platform.force_session(scene.force_id) as session:
        item = await session.scalar(select(EvidenceItem))
    assert item is not None
    assert (item.sha256, item.size, item.sniffed_type) == (sha, len(data), "image/jpeg")
    assert (item.original_filename, item.caption) == ("IMG_4.jpg", "the van")
    assert item.review_state == ReviewState.PENDING
    upload = await upload_row(platform, scene.force_id, path)
    assert (upload.item_id, upload.locked_by) == (item.id, None)
    actions = await audit_actions(platform, scene.force_id)
    assert actions.index("upload.started") < actions.index("evidence.received")

    refused = await client.delete(path, headers=tus_headers(scene.token))
    assert refused.status_code == 403
    assert "evidence" in refused.text
    again = await patch_chunk(client, scene.token, path, len(data), b"")
    assert (again.status_code, again.headers["upload-offset"]) == (204, str(len(data)))
    assert await head_offset(client, scene.token, path) == len(data)


@pytest.mark.parametrize("data", [ELF, PE], ids=["elf", "pe"])
async def test_a_disguised_executable_is_quarantined(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene, data: bytes
) -> None:
    path = await create_upload(
        client, scene.token, len(data), {"filename": "photo.jpg", "filetype": "image/jpeg"}
    )
    assert (await patch_chunk(client, scene.token, path, 0, data)).status_code == 204
    async with platform.force_session(scene.force_id) as session:
        item = await session.scalar(select(EvidenceItem))
    assert item is not None
    assert item.review_state == ReviewState.QUARANTINED
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.declared_type == "image/jpeg"


async def test_a_file_name_cannot_disguise_its_extension(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    # U+202E would show "holiday\u202egpj.exe" as "holidayexe.jpg"; C1 and isolates likewise.
    name = "\u2067holiday\u202egpj\u2069\u200f\x85.exe"
    path = await create_upload(client, scene.token, len(JPEG), {"filename": name})
    assert (await patch_chunk(client, scene.token, path, 0, JPEG)).status_code == 204
    async with platform.force_session(scene.force_id) as session:
        item = await session.scalar(select(EvidenceItem))
    assert item is not None
    assert item.original_filename == "holidaygpj.exe"


async def test_an_empty_file_is_received_at_creation(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    response = await client.post("/uploads/", headers=tus_headers(scene.token, Upload_Length="0"))
    assert (response.status_code, response.headers["upload-offset"]) == (201, "0")
    async with platform.force_session(scene.force_id) as session:
        item = await session.scalar(select(EvidenceItem))
    assert item is not None
    assert item.size == 0
    assert item.review_state == ReviewState.QUARANTINED  # an empty file is no photo


async def test_an_expired_upload_is_gone(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    path = await create_upload(client, scene.token, 100)
    expires = (await client.head(path, headers=tus_headers(scene.token))).headers["upload-expires"]
    assert expires.endswith(" GMT")
    async with force_transaction(platform, scene.force_id) as tx:
        await tx.session.execute(
            update(Upload)
            .where(Upload.public_id == path.rsplit("/", 1)[1])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await client.head(path, headers=tus_headers(scene.token))).status_code == 410
    assert (await patch_chunk(client, scene.token, path, 0, b"x")).status_code == 410


# --- leases and the store's word --------------------------------------------------------------


async def test_a_live_lease_locks_and_a_stale_one_is_taken_over(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    path = await create_upload(client, scene.token, 100)

    async def lease(until: timedelta) -> None:
        async with force_transaction(platform, scene.force_id) as tx:
            await tx.session.execute(
                update(Upload)
                .where(Upload.public_id == path.rsplit("/", 1)[1])
                .values(locked_by="other-process", locked_until=utcnow() + until)
            )

    await lease(timedelta(seconds=30))
    locked = await patch_chunk(client, scene.token, path, 0, b"x" * 10)
    assert locked.status_code == 423
    assert (await client.delete(path, headers=tus_headers(scene.token))).status_code == 423
    assert await stored_size(platform, scene.force_id, path) == 0

    await lease(timedelta(seconds=-1))  # the other process died
    taken_over = await patch_chunk(client, scene.token, path, 0, b"x" * 10)
    assert (taken_over.status_code, taken_over.headers["upload-offset"]) == (204, "10")
    assert (await upload_row(platform, scene.force_id, path)).locked_by is None


async def test_the_store_wins_when_a_process_died_before_recording(
    client: AsyncTestClient[Litestar], platform: Platform, scene: Scene
) -> None:
    data = JPEG[:1000]
    path = await create_upload(client, scene.token, len(data))
    assert (await patch_chunk(client, scene.token, path, 0, data[:300])).status_code == 204
    # A process wrote 200 more bytes and died before recording the new offset.
    upload = await upload_row(platform, scene.force_id, path)
    async with platform.force_session(scene.force_id) as session:
        force = await force_info(session, scene.force_id)
    backend = platform.storage(force, "local")

    async def body() -> AsyncIterator[bytes]:
        yield data[300:500]

    await backend.append(upload.storage_key, upload.storage_state, 300, body())

    conflict = await patch_chunk(client, scene.token, path, 300, data[300:])
    assert conflict.status_code == 409
    assert await head_offset(client, scene.token, path) == 500
    assert (await patch_chunk(client, scene.token, path, 500, data[500:])).status_code == 204
    async with platform.force_session(scene.force_id) as session:
        item = await session.scalar(select(EvidenceItem))
    assert item is not None
    assert item.sha256 == hashlib.sha256(data).hexdigest()
