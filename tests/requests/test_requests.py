"""Evidence requests: the link, its message, and what an officer can do with it afterwards."""

from datetime import timedelta
from typing import TypedDict

import pytest
from sqlalchemy import select, text, update

from exhibit.audit.models import AuditEvent
from exhibit.db.base import utcnow
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.handlers import JobContext
from exhibit.jobs.worker import Worker
from exhibit.notifications.models import Notification
from exhibit.notifications.service import unseal
from exhibit.platform import Platform
from exhibit.uploads.contacts import InvalidContact, normalise_mobile
from exhibit.uploads.expiry import expire_requests
from exhibit.uploads.links import LinkProblem, LinkRefused, request_for_token
from exhibit.uploads.models import EvidenceRequest, RequestState
from exhibit.uploads.requests import RequestClosed, extend_request, resend_request, revoke_request
from tests.fixtures.witness import make_scene


class _RequestDetails(TypedDict, total=False):
    """Keyword arguments of ``make_scene`` that change the request it sends."""

    channels: tuple[str, ...]
    phone: str
    max_files: int
    expires_in_days: int


@pytest.mark.parametrize(
    ("given", "e164"),
    [
        ("07911 123456", "+447911123456"),
        ("+44 7911 123456", "+447911123456"),
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_mobile_numbers_are_normalised(given: str, e164: str) -> None:
    assert normalise_mobile(given) == e164


@pytest.mark.parametrize("bad", ["12", "not a number", "020 7946 0000", "+44 7911"])
def test_unusable_numbers_are_refused(bad: str) -> None:
    with pytest.raises(InvalidContact):
        normalise_mobile(bad)


async def _audit_actions(platform: Platform, force_id: int) -> list[str]:
    async with platform.force_session(force_id) as session:
        return list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


async def test_a_request_stores_only_the_hash_of_its_link_and_sends_it(platform: Platform) -> None:
    scene = await make_scene(platform)
    assert len(scene.token) >= 32  # 192 bits, URL-safe

    async with platform.system_session() as session:
        dump = ""
        for table in ("evidence_request", "notification", "job", "audit_event"):
            dump += str((await session.execute(text(f"SELECT * FROM {table}"))).all())
        request = await request_for_token(session, scene.token)
    assert scene.token not in dump
    assert "+447911123456" in str(request.recipient_phone)
    assert (request.max_files, request.max_file_bytes) == (25, 10 * 1000**3)

    while await Worker(platform).run_once():
        pass
    async with platform.force_session(scene.force_id) as session:
        message = (await session.scalars(select(Notification))).one()
        refreshed = await session.get(EvidenceRequest, scene.request_id)
    assert refreshed is not None and refreshed.state == RequestState.SENT
    body = unseal(platform.secret_box, message.body_encrypted or "").body
    assert f"https://exhibit.test/u/{scene.token}" in body
    assert "Kent Police" in body
    assert "request.created" in await _audit_actions(platform, scene.force_id)


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"channels": ("email",)}, "email address is needed"),
        ({"channels": ()}, "at least one channel"),
        ({"phone": "12345"}, "not a valid phone number"),
        ({"max_files": 0}, "max_files must be between"),
        ({"expires_in_days": 400}, "expires_in_days must be between"),
    ],
)
async def test_bad_request_details_are_refused_and_nothing_is_written(
    platform: Platform, details: _RequestDetails, message: str
) -> None:
    await make_scene(platform, "kent")
    with pytest.raises(ValueError, match=message):
        await make_scene(platform, "essex", **details)
    async with platform.system_session() as session:
        assert len((await session.scalars(select(EvidenceRequest))).all()) == 1


async def test_resend_issues_a_new_link_and_the_old_one_stops(platform: Platform) -> None:
    scene = await make_scene(platform)
    from exhibit.forces.models import Force

    async with force_transaction(platform, scene.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        force = await tx.session.get(Force, scene.force_id)
        assert request is not None and force is not None
        new_token = await resend_request(
            tx.session,
            platform.secret_box,
            force,
            request,
            actor="user:1",
            public_url="https://exhibit.test",
        )
    async with platform.system_session() as session:
        with pytest.raises(LinkRefused) as refused:
            await request_for_token(session, scene.token)
        assert refused.value.problem == LinkProblem.UNKNOWN
        assert (await request_for_token(session, new_token)).id == scene.request_id
    assert "request.resent" in await _audit_actions(platform, scene.force_id)


async def test_revoked_and_expired_links_are_refused_and_say_which(platform: Platform) -> None:
    revoked = await make_scene(platform, "kent")
    expired = await make_scene(platform, "essex")
    async with force_transaction(platform, revoked.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, revoked.request_id)
        assert request is not None
        with pytest.raises(ValueError, match="reason"):
            await revoke_request(tx.session, request, reason=" ", actor="user:1")
        await revoke_request(tx.session, request, reason="sent to wrong number", actor="user:1")
    async with platform.system_session() as session:
        await session.execute(
            update(EvidenceRequest)
            .where(EvidenceRequest.id == expired.request_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        await session.commit()
    async with platform.system_session() as session:
        for scene, problem in ((revoked, LinkProblem.REVOKED), (expired, LinkProblem.EXPIRED)):
            with pytest.raises(LinkRefused) as refused:
                await request_for_token(session, scene.token)
            assert (refused.value.problem, refused.value.force_id) == (problem, scene.force_id)
        with pytest.raises(LinkRefused) as forged:
            await request_for_token(session, scene.token[:-2] + "xx")
        assert (forged.value.problem, forged.value.force_id) == (LinkProblem.UNKNOWN, None)

    await expire_requests(JobContext(0, "core.expire_requests", None, {}, 1, platform))
    async with platform.force_session(expired.force_id) as session:
        request = await session.get(EvidenceRequest, expired.request_id)
        assert request is not None and request.state == RequestState.EXPIRED
    assert "request.expired" in await _audit_actions(platform, expired.force_id)

    # Extending reopens an expired request; a revoked one stays closed.
    async with force_transaction(platform, expired.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, expired.request_id)
        assert request is not None
        await extend_request(tx.session, request, days=3, actor="user:1")
    async with platform.system_session() as session:
        assert (await request_for_token(session, expired.token)).id == expired.request_id
    with pytest.raises(RequestClosed):
        async with force_transaction(platform, revoked.force_id) as tx:
            request = await tx.session.get(EvidenceRequest, revoked.request_id)
            assert request is not None
            await extend_request(tx.session, request, days=3, actor="user:1")


async def test_a_request_whose_contact_details_were_erased_is_not_resent(
    platform: Platform,
) -> None:
    from exhibit.forces.models import Force
    from exhibit.notifications.purge import PURGE_JOB, purge_contacts

    scene = await make_scene(platform)
    async with platform.system_session() as session:
        await session.execute(
            update(EvidenceRequest)
            .where(EvidenceRequest.id == scene.request_id)
            .values(state=RequestState.EXPIRED, expires_at=utcnow() - timedelta(days=31))
        )
        await session.commit()
    await purge_contacts(JobContext(0, PURGE_JOB, None, {}, 1, platform))
    async with force_transaction(platform, scene.force_id) as tx:
        request = await tx.session.get(EvidenceRequest, scene.request_id)
        assert request is not None and request.recipient_phone is None
        await extend_request(tx.session, request, days=7, actor="user:1")  # it reopens

    with pytest.raises(RequestClosed, match="contact details were erased"):
        async with force_transaction(platform, scene.force_id) as tx:
            request = await tx.session.get(EvidenceRequest, scene.request_id)
            force = await tx.session.get(Force, scene.force_id)
            assert request is not None and force is not None
            await resend_request(
                tx.session,
                platform.secret_box,
                force,
                request,
                actor="user:1",
                public_url="https://exhibit.test",
            )
    assert "request.resent" not in await _audit_actions(platform, scene.force_id)
