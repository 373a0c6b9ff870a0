"""The officer's sharing pages over HTTP: the form's rules, the shares list, revocation,
another force's ids and roles without the permission to share."""

import html
import re

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from exhibit.accounts.models import Role
from exhibit.audit.models import AuditEvent
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.sharing.models import Share, ShareItem
from exhibit.web.csrf import CSRF_COOKIE
from tests.fixtures.officer import Person
from tests.fixtures.two_factor import EnrolledPerson, enrol, make_enrolled_user, sign_in_with_code
from tests.share_cps.helpers import PROSECUTOR, api_headers
from tests.share_cps.world import UNITS, World, make_world


async def _officer(platform: Platform, world: World, slug: str = "kent") -> EnrolledPerson:
    """The scene's officer, given an authenticator app."""
    person = Person(world.scene.force_id, world.scene.officer_id, f"officer@{slug}.test")
    return await enrol(platform, person)


async def _signed_in(client: AsyncTestClient[Litestar], person: EnrolledPerson) -> None:
    done = await sign_in_with_code(client, person)
    assert done.url.path == "/cases", done.url


async def _post(
    client: AsyncTestClient[Litestar], url: str, data: dict[str, object]
) -> httpx.Response:
    """Post a form as the browser would (with its CSRF token), not following the redirect."""
    token = client.cookies.get(CSRF_COOKIE)
    assert token, "open a page first"
    return await client.post(url, data={**data, "_csrf_token": token}, follow_redirects=False)


def _share_form(world: World, *items: int, **extra: object) -> dict[str, object]:
    return {
        "item": [str(i) for i in items],
        "target": "cps_portal",
        "recipient": PROSECUTOR,
        "unit": "",
        "expires_in_days": "14",
        "allow_download": "yes",
    } | extra


async def _count(platform: Platform, force_id: int, model: type) -> int:
    async with platform.force_session(force_id) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _error_summary(page: str) -> list[str]:
    found = re.search(r'govuk-error-summary__list">(.*?)</ul>', page, re.S)
    assert found, "the page has no error summary"
    return [html.unescape(m) for m in re.findall(r'<a href="#[^"]+">([^<]+)</a>', found.group(1))]


async def test_an_officer_shares_through_the_form_and_revokes_from_the_list(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    officer = await _officer(cps_platform, world)
    await _signed_in(client, officer)
    case = await client.get(f"/cases/{world.scene.case_id}")
    assert f'href="/cases/{world.scene.case_id}/shares/new"' in case.text

    form = await client.get(f"/cases/{world.scene.case_id}/shares/new")
    assert form.status_code == 200
    assert (
        f'id="item-{world.sensitive.id}" name="item" type="checkbox" value="{world.sensitive.id}"'
        in form.text
    )
    assert re.search(rf'id="item-{world.sensitive.id}"[^>]* disabled>', form.text)
    assert "PT/3 is marked sensitive / do-not-disclose and cannot be shared" in form.text
    assert not re.search(rf'id="item-{world.redacted.id}"[^>]* disabled>', form.text)
    assert "Shared as its <span data-copy>redacted</span> copy" in form.text
    assert "south-east (cps.southeast@cps.test)" in form.text

    made = await _post(
        client,
        f"/cases/{world.scene.case_id}/shares/new",
        _share_form(world, world.redacted.id, world.disclosure.id, recipient="", unit="south-east"),
    )
    assert made.status_code == 303, made.text
    share_url = made.headers["location"]
    share_id = int(share_url.rsplit("/", 1)[1])
    shown = await client.get(share_url)
    assert "Shared 2 exhibits with cps.southeast@cps.test." in shown.text
    assert re.findall(r"<td [^>]*data-copy>(\w+)</td>", shown.text) == ["redacted", "disclosure"]
    async with cps_platform.force_session(world.scene.force_id) as session:
        share = await session.get(Share, share_id)
        assert share is not None
        assert share.recipient == UNITS["south-east"] and share.allow_download
        created = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "share.created", AuditEvent.object_id == str(share_id)
            )
        )
    assert created is not None and created.actor == f"user:{officer.user_id}"

    listed = await client.get(f"/cases/{world.scene.case_id}/shares")
    assert "PT/1 (redacted), PT/2 (disclosure)" in listed.text
    assert f'href="/shares/{share_id}/revoke"' in listed.text
    confirm = await client.get(f"/shares/{share_id}/revoke")
    assert "Yes, revoke the share" in confirm.text
    no_reason = await _post(client, f"/shares/{share_id}/revoke", {"reason": " "})
    assert no_reason.status_code == 400
    assert _error_summary(no_reason.text) == ["Say why the share is revoked"]
    revoked = await _post(client, f"/shares/{share_id}/revoke", {"reason": "case discontinued"})
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"/cases/{world.scene.case_id}/shares"
    listed = await client.get(revoked.headers["location"])
    assert "can no longer see it" in listed.text
    assert re.findall(r"data-state>(\w+)<", listed.text) == ["revoked"]
    assert f'href="/shares/{share_id}/revoke"' not in listed.text
    again = await _post(client, f"/shares/{share_id}/revoke", {"reason": "twice"})
    assert again.status_code == 303  # refused, back to the share with the reason
    assert "already revoked" in (await client.get(again.headers["location"])).text
    async with cps_platform.force_session(world.scene.force_id) as session:
        events = list(
            await session.scalars(
                select(AuditEvent.reason).where(
                    AuditEvent.action == "share.revoked", AuditEvent.object_id == str(share_id)
                )
            )
        )
    assert events == ["case discontinued"]


async def test_a_sensitive_item_cannot_be_shared_through_the_form_or_by_hand(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    await _signed_in(client, await _officer(cps_platform, world))
    await client.get(f"/cases/{world.scene.case_id}/shares/new")
    url = f"/cases/{world.scene.case_id}/shares/new"

    by_hand = await _post(client, url, _share_form(world, world.redacted.id, world.sensitive.id))
    assert by_hand.status_code == 400
    assert _error_summary(by_hand.text) == [
        "PT/3 is marked sensitive / do-not-disclose and cannot be shared"
    ]
    # Choosing its original with a reason changes nothing.
    with_original = await _post(
        client,
        url,
        _share_form(
            world,
            world.sensitive.id,
            **{f"original-{world.sensitive.id}": "yes", f"reason-{world.sensitive.id}": "x" * 20},
        ),
    )
    assert with_original.status_code == 400
    assert "sensitive" in _error_summary(with_original.text)[0]
    # The form keeps what was chosen, so nothing typed is lost.
    assert re.search(rf'id="item-{world.redacted.id}"[^>]* checked>', by_hand.text)
    assert await _count(cps_platform, world.scene.force_id, Share) == 0
    assert await _count(cps_platform, world.scene.force_id, ShareItem) == 0


async def test_the_original_needs_an_explicit_choice_and_a_reason(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    await _signed_in(client, await _officer(cps_platform, world))
    await client.get(f"/cases/{world.scene.case_id}/shares/new")
    url = f"/cases/{world.scene.case_id}/shares/new"
    item = world.underived.id

    no_copy = await _post(client, url, _share_form(world, item))
    assert no_copy.status_code == 400
    assert _error_summary(no_copy.text) == [
        "PT/4 has no redacted or disclosure copy yet: make one, or choose to share the original "
        "and say why"
    ]
    no_reason = await _post(
        client, url, _share_form(world, item, **{f"original-{item}": "yes", f"reason-{item}": "x"})
    )
    assert no_reason.status_code == 400
    assert _error_summary(no_reason.text) == [
        "Say why the unredacted original of PT/4 is needed (at least 10 characters)"
    ]
    assert await _count(cps_platform, world.scene.force_id, Share) == 0

    reason = "the defence disputes the redaction"
    made = await _post(
        client,
        url,
        _share_form(
            world, item, world.redacted.id, **{f"original-{item}": "yes", f"reason-{item}": reason}
        ),
    )
    assert made.status_code == 303, made.text
    async with cps_platform.force_session(world.scene.force_id) as session:
        rows = {
            row.item_id: row
            for row in await session.scalars(select(ShareItem).order_by(ShareItem.id))
        }
        audited = await session.scalar(
            select(AuditEvent.reason).where(
                AuditEvent.action == "item.shared", AuditEvent.object_id == str(item)
            )
        )
    assert rows[item].derivative_id is None and rows[item].original_reason == reason
    assert rows[world.redacted.id].derivative_id == world.redacted.derivative_id
    assert rows[world.redacted.id].original_reason == ""
    assert audited == reason


async def test_bad_input_gets_an_error_summary_never_a_server_error(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    await _signed_in(client, await _officer(cps_platform, world))
    await client.get(f"/cases/{world.scene.case_id}/shares/new")
    bad = await _post(
        client,
        f"/cases/{world.scene.case_id}/shares/new",
        {
            "item": ["abc", "99999999"],
            "target": "fax",
            "recipient": "not an address",
            "unit": "",
            "expires_in_days": "1000",
        },
    )
    assert bad.status_code == 400
    assert _error_summary(bad.text) == [
        "Choose exhibits from the list",
        "Item 99999999 is not an accepted exhibit here",
        "Choose how to share",
        "Enter a valid email address, like name@cps.gov.uk",
        "Enter a number of days from 1 to 366",
    ]
    both = await _post(
        client,
        f"/cases/{world.scene.case_id}/shares/new",
        _share_form(world, world.redacted.id, unit="south-east"),
    )
    assert _error_summary(both.text) == [
        "Enter a prosecutor's email address or choose a CPS unit, not both"
    ]
    unknown_unit = await _post(
        client,
        f"/cases/{world.scene.case_id}/shares/new",
        _share_form(world, world.redacted.id, recipient="", unit="north"),
    )
    assert _error_summary(unknown_unit.text) == ["Choose a unit that cps_portal offers"]
    neither = await _post(
        client,
        f"/cases/{world.scene.case_id}/shares/new",
        _share_form(world, world.redacted.id, recipient=""),
    )
    assert _error_summary(neither.text) == [
        "Enter a prosecutor's email address or choose a CPS unit"
    ]
    assert await _count(cps_platform, world.scene.force_id, Share) == 0


async def test_another_forces_case_and_share_ids_are_not_found(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    kent = await make_world(cps_platform)
    essex = await make_world(cps_platform, "essex")
    kent_api = await api_headers(cps_platform, kent.scene.force_id, "o@kent.test")
    made = await client.post(
        f"/api/v1/cases/{kent.scene.case_id}/shares",
        json={
            "item_ids": [kent.redacted.id],
            "target": "cps_portal",
            "recipient": PROSECUTOR,
            "expires_in_days": 7,
        },
        headers=kent_api,
    )
    share_id = made.json()["id"]
    await _signed_in(client, await _officer(cps_platform, essex, "essex"))
    case_id = kent.scene.case_id
    for path in (
        f"/cases/{case_id}/shares/new",
        f"/cases/{case_id}/shares",
        f"/shares/{share_id}",
        f"/shares/{share_id}/revoke",
    ):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert "KENT/123/26" not in answer.text and PROSECUTOR not in answer.text
    posted = await _post(
        client, f"/cases/{case_id}/shares/new", _share_form(kent, kent.disclosure.id)
    )
    assert posted.status_code == 404
    revoked = await _post(client, f"/shares/{share_id}/revoke", {"reason": "not mine to revoke"})
    assert revoked.status_code == 404
    async with cps_platform.force_session(kent.scene.force_id) as session:
        share = await session.get(Share, share_id)
        assert share is not None and share.revoked_at is None
    assert await _count(cps_platform, kent.scene.force_id, Share) == 1
    # The API's list of a case's shares is scoped the same way.
    essex_api = await api_headers(cps_platform, essex.scene.force_id, "o@essex.test")
    listed = await client.get(f"/api/v1/cases/{case_id}/shares", headers=essex_api)
    assert listed.status_code == 404
    own = await client.get(f"/api/v1/cases/{case_id}/shares", headers=kent_api)
    assert [s["id"] for s in own.json()] == [share_id]


async def test_a_role_without_the_permission_to_share_is_refused(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    kent_api = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    made = await client.post(
        f"/api/v1/cases/{world.scene.case_id}/shares",
        json={
            "item_ids": [world.redacted.id],
            "target": "cps_portal",
            "recipient": PROSECUTOR,
            "expires_in_days": 7,
        },
        headers=kent_api,
    )
    share_id = made.json()["id"]
    auditor = await make_enrolled_user(cps_platform, "kent", Role.AUDITOR, "Ann Auditor")
    await _signed_in(client, auditor)
    case_id = world.scene.case_id

    listed = await client.get(f"/cases/{case_id}/shares")
    assert listed.status_code == 200  # the auditor may read the shares...
    assert PROSECUTOR in listed.text
    assert f"/cases/{case_id}/shares/new" not in listed.text
    assert f"/shares/{share_id}/revoke" not in listed.text
    assert (await client.get(f"/cases/{case_id}/shares/new")).status_code == 403
    assert (await client.get(f"/shares/{share_id}/revoke")).status_code == 403
    posted = await _post(
        client, f"/cases/{case_id}/shares/new", _share_form(world, world.disclosure.id)
    )
    assert posted.status_code == 403  # ...but not share or revoke
    revoked = await _post(client, f"/shares/{share_id}/revoke", {"reason": "not allowed to"})
    assert revoked.status_code == 403
    assert await _count(cps_platform, world.scene.force_id, Share) == 1
    async with cps_platform.force_session(world.scene.force_id) as session:
        share = await session.get(Share, share_id)
        assert share is not None and share.revoked_at is None


async def test_no_sharing_action_is_offered_while_the_force_has_no_share_target(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    force_id, case_id = world.scene.force_id, world.scene.case_id
    async with force_transaction(cps_platform, force_id) as tx:
        await configure_plugin(
            tx.session,
            cps_platform.plugins,
            cps_platform.secret_box,
            force_id,
            "share_cps",
            enabled=False,
            config={"units": UNITS},
            actor="test",
        )
    await _signed_in(client, await _officer(cps_platform, world))
    case = await client.get(f"/cases/{case_id}")
    assert "data-shares-links" in case.text  # the case has accepted exhibits...
    assert f'href="/cases/{case_id}/shares/new"' not in case.text  # ...but nowhere to send them
    listed = await client.get(f"/cases/{case_id}/shares")
    assert 'data-action="new-share"' not in listed.text
    form = await client.get(f"/cases/{case_id}/shares/new")
    assert "data-no-targets" in form.text
    assert 'id="share-form"' not in form.text

    async with force_transaction(cps_platform, force_id) as tx:
        await configure_plugin(
            tx.session,
            cps_platform.plugins,
            cps_platform.secret_box,
            force_id,
            "share_cps",
            enabled=True,
            config={"units": UNITS},
            actor="test",
        )
    assert f'href="/cases/{case_id}/shares/new"' in (await client.get(f"/cases/{case_id}")).text
    listed = await client.get(f"/cases/{case_id}/shares")
    assert 'data-action="new-share"' in listed.text
    assert 'id="share-form"' in (await client.get(f"/cases/{case_id}/shares/new")).text
