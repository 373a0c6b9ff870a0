"""Sharing accepted exhibits through the JSON API: the rules, the copies, revocation, scoping."""

import hashlib
import json

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from exhibit.audit.models import AuditEvent
from exhibit.platform import Platform
from exhibit.sharing.models import Share, ShareItem
from tests.share_cps.helpers import api_headers, read_bundle
from tests.share_cps.world import UNITS, make_world


def _share(item_ids: list[int], **extra: object) -> dict[str, object]:
    return {
        "item_ids": item_ids,
        "target": "cps_portal",
        "recipient": "prosecutor@cps.test",
        "expires_in_days": 30,
        "allow_download": True,
    } | extra


async def _count(platform: Platform, force_id: int, model: type) -> int:
    async with platform.force_session(force_id) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_sensitive_item_is_refused_and_nothing_is_written(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    officer = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    url = f"/api/v1/cases/{world.scene.case_id}/shares"

    refused = await client.post(
        url, json=_share([world.redacted.id, world.sensitive.id]), headers=officer
    )
    assert refused.status_code == 400, refused.text
    assert "PT/3 is marked sensitive / do-not-disclose" in refused.text
    # Not even with an explicit choice of the original and a reason.
    again = await client.post(
        url,
        json=_share([world.sensitive.id], originals={str(world.sensitive.id): "needed at trial"}),
        headers=officer,
    )
    assert again.status_code == 400
    assert "sensitive" in again.text
    assert await _count(cps_platform, world.scene.force_id, Share) == 0
    assert await _count(cps_platform, world.scene.force_id, ShareItem) == 0


async def test_the_default_copy_is_the_redacted_one_with_the_originals_hash_and_provenance(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    officer = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    created = await client.post(
        f"/api/v1/cases/{world.scene.case_id}/shares",
        json=_share([world.redacted.id, world.disclosure.id]),
        headers=officer,
    )
    assert created.status_code == 201, created.text
    share = created.json()
    assert [i["derivative_id"] for i in share["items"]] == [
        world.redacted.derivative_id,
        world.disclosure.derivative_id,
    ]

    bundle = await client.get(f"/api/v1/shares/{share['id']}/bundle", headers=officer)
    assert bundle.status_code == 200, bundle.text
    manifest, members = read_bundle(bundle.content)
    first, second = manifest["exhibits"]
    assert (first["exhibit_reference"], first["copy"]) == ("PT/1", "redacted")
    assert (second["exhibit_reference"], second["copy"]) == ("PT/2", "disclosure")
    assert first["description"] == "Doorbell camera still"
    assert members[first["file"]["path"]] == world.redacted.derivative
    assert members[second["file"]["path"]] == world.disclosure.derivative
    original_hash = hashlib.sha256(world.redacted.original).hexdigest()
    assert first["original_sha256"] == original_hash
    assert first["file"]["sha256"] == hashlib.sha256(world.redacted.derivative or b"").hexdigest()
    assert first["provenance"]["tool"] == "redact-faces"
    assert first["provenance"]["tool_version"] == "1.2.3"
    assert first["provenance"]["parameters"] == {"blur_radius": 12}
    assert first["provenance"]["input_sha256"] == original_hash
    assert first["witness_reference"]
    # The exhibit's id names it in the audit segment's events.
    assert (first["item_id"], second["item_id"]) == (world.redacted.id, world.disclosure.id)
    segment = [json.loads(line) for line in members["audit/segment.jsonl"].splitlines()]
    about_first = [
        e["content"]["action"]
        for e in segment
        if e["form"] == "event"
        and (e["content"]["object_type"], e["content"]["object_id"])
        == ("item", str(first["item_id"]))
    ]
    assert "evidence.received" in about_first and "item.shared" in about_first
    assert world.redacted.original not in b"".join(members.values())
    schedule = members["schedule.html"].decode()
    assert "PT/1" in schedule
    # How to check it, offline and without Exhibit, against the key's fingerprint.
    assert f"fingerprint is\n<code>{manifest['signing_key']}</code>" in schedule
    assert "openssl pkeyutl -verify" in schedule


async def test_sharing_an_original_needs_an_explicit_choice_and_a_reason(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    officer = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    url = f"/api/v1/cases/{world.scene.case_id}/shares"

    no_copy = await client.post(url, json=_share([world.underived.id]), headers=officer)
    assert no_copy.status_code == 400
    assert "PT/4 has no redacted or disclosure copy" in no_copy.text
    no_reason = await client.post(
        url,
        json=_share([world.underived.id], originals={str(world.underived.id): " "}),
        headers=officer,
    )
    assert no_reason.status_code == 400
    assert "needs a reason" in no_reason.text

    reason = "prosecutor needs the native file for expert analysis"
    created = await client.post(
        url,
        json=_share(
            [world.redacted.id, world.underived.id],
            originals={str(world.redacted.id): reason, str(world.underived.id): reason},
        ),
        headers=officer,
    )
    assert created.status_code == 201, created.text
    bundle = await client.get(f"/api/v1/shares/{created.json()['id']}/bundle", headers=officer)
    manifest, members = read_bundle(bundle.content)
    assert [e["copy"] for e in manifest["exhibits"]] == ["original", "original"]
    assert manifest["exhibits"][0]["original_reason"] == reason
    assert manifest["exhibits"][0]["provenance"] is None
    assert members[manifest["exhibits"][0]["file"]["path"]] == world.redacted.original
    async with cps_platform.force_session(world.scene.force_id) as session:
        reasons = list(
            await session.scalars(
                select(AuditEvent.reason).where(AuditEvent.action == "item.shared")
            )
        )
    assert reasons == [reason, reason]


async def test_a_unit_configured_by_the_force_can_be_the_recipient(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    officer = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    url = f"/api/v1/cases/{world.scene.case_id}/shares"
    body = _share([world.redacted.id])
    del body["recipient"]
    created = await client.post(url, json=body | {"unit": "south-east"}, headers=officer)
    assert created.status_code == 201, created.text
    assert created.json()["recipient"] == UNITS["south-east"]
    unknown = await client.post(url, json=body | {"unit": "north"}, headers=officer)
    assert unknown.status_code == 400
    assert "unknown recipient unit 'north'" in unknown.text
    bad_target = await client.post(
        url, json=_share([world.redacted.id], target="fax"), headers=officer
    )
    assert bad_target.status_code == 400
    assert "cps_drop, cps_portal" in bad_target.text


async def test_revocation_takes_effect_at_once_and_everything_is_audited(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    officer = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    created = await client.post(
        f"/api/v1/cases/{world.scene.case_id}/shares",
        json=_share([world.redacted.id]),
        headers=officer,
    )
    share_id = created.json()["id"]
    assert (
        await client.get(f"/api/v1/shares/{share_id}/bundle", headers=officer)
    ).status_code == 200

    revoked = await client.post(
        f"/api/v1/shares/{share_id}/revoke", json={"reason": "charged elsewhere"}, headers=officer
    )
    assert revoked.status_code == 201, revoked.text
    assert revoked.json()["live"] is False
    after = await client.get(f"/api/v1/shares/{share_id}/bundle", headers=officer)
    assert after.status_code == 404
    assert "revoked" in after.text
    twice = await client.post(
        f"/api/v1/shares/{share_id}/revoke", json={"reason": "again"}, headers=officer
    )
    assert twice.status_code == 400

    async with cps_platform.force_session(world.scene.force_id) as session:
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "share", AuditEvent.object_id == str(share_id))
                .order_by(AuditEvent.seq)
            )
        )
    assert actions == ["share.created", "share.bundle_exported", "share.revoked"]
    listed = await client.get(f"/api/v1/cases/{world.scene.case_id}/shares", headers=officer)
    assert [s["id"] for s in listed.json()] == [share_id]


async def test_a_share_of_one_force_is_invisible_to_another(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    kent = await make_world(cps_platform, "kent")
    essex = await make_world(cps_platform, "essex")
    kent_officer = await api_headers(cps_platform, kent.scene.force_id, "o@kent.test")
    essex_officer = await api_headers(cps_platform, essex.scene.force_id, "o@essex.test")
    created = await client.post(
        f"/api/v1/cases/{kent.scene.case_id}/shares",
        json=_share([kent.redacted.id]),
        headers=kent_officer,
    )
    share_id = created.json()["id"]
    for path in (f"/api/v1/shares/{share_id}", f"/api/v1/shares/{share_id}/bundle"):
        assert (await client.get(path, headers=essex_officer)).status_code == 404
    stolen = await client.post(
        f"/api/v1/shares/{share_id}/revoke", json={"reason": "x"}, headers=essex_officer
    )
    assert stolen.status_code == 404
    # Another force's items cannot be slipped into a share either.
    mixed = await client.post(
        f"/api/v1/cases/{essex.scene.case_id}/shares",
        json=_share([essex.redacted.id, kent.disclosure.id]),
        headers=essex_officer,
    )
    assert mixed.status_code == 400
    assert f"item {kent.disclosure.id} is not on this case" in mixed.text
