"""The case list, opening a case, and a case's page with what arrived."""

from datetime import timedelta

from sqlalchemy import select

from exhibit.accounts.models import Role, User
from exhibit.accounts.service import create_api_token
from exhibit.cases.closure import MAX_REASON
from exhibit.cases.models import Case, CaseStatus
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.uploads.models import EvidenceRequest, RequestState, Submission
from exhibit.web.officer.case_queries import CASES_PER_PAGE, ITEMS_PER_PAGE
from tests.evidence.arrivals import arrived, png
from tests.fixtures.officer import audit_events, browser, make_user, sign_in, submit
from tests.fixtures.witness import Scene, make_scene
from tests.officer.field_errors import assert_refused_by_field

TO = "\N{EN DASH}"  # as in "Showing 1 to 50 of 205", written with a dash


async def test_an_officer_opens_a_case_and_finds_it_by_reference(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        opened = await submit(client, "/cases", {"reference": "KENT/77/26", "title": "Theft"})
        assert opened.status_code == 200
        assert "Case KENT/77/26 opened." in opened.text
        await submit(client, "/cases", {"reference": "KENT/78/26", "title": "Robbery"})

        listed = await client.get("/cases")
        assert listed.text.index("KENT/78/26") < listed.text.index("KENT/77/26")  # newest first
        found = await client.get("/cases", params={"reference": "77/2"})
        assert "KENT/77/26" in found.text
        assert "KENT/78/26" not in found.text
        none = await client.get("/cases", params={"reference": "100%"})
        assert "No case has a reference containing" in none.text

        again = await submit(client, "/cases", {"reference": "KENT/77/26"})
        assert again.status_code == 400
        assert "govuk-error-summary" in again.text
        assert "already exists" in again.text
        blank = await submit(client, "/cases", {"reference": "  "})
        assert blank.status_code == 400

    [event, _] = await audit_events(platform, officer.force_id, "case.opened")
    assert event.actor == f"user:{officer.user_id}"


async def test_case_references_are_unique_ignoring_capitals_and_quoted_as_typed(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with force_transaction(platform, officer.force_id) as tx:
        user = await tx.session.get(User, officer.user_id)
        assert user is not None
        _, token = await create_api_token(tx.session, user, name="test", actor="test")
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        await submit(client, "/cases", {"reference": "bulk-07", "title": "Theft"})
        again = await submit(client, "/cases", {"reference": "BULK-07", "title": "Other"})
        assert again.status_code == 400
        assert "govuk-error-summary" in again.text
        assert "Case BULK-07 already exists" in again.text
        assert 'value="BULK-07"' in again.text

        api = await client.post(
            "/api/v1/cases",
            json={"reference": "Bulk-07"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert api.status_code == 400
        assert "case Bulk-07 already exists" in api.text
    async with platform.force_session(officer.force_id) as session:
        assert list(await session.scalars(select(Case.reference))) == ["bulk-07"]


async def test_the_case_page_lists_requests_and_evidence_newest_first(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    now = utcnow()
    async with platform.force_session(scene.force_id) as session:
        for name, state, reason, age in [
            ("old.jpg", ReviewState.PENDING, "", 2),
            ("odd.exe", ReviewState.QUARANTINED, "not an accepted kind of file", 1),
        ]:
            session.add(
                EvidenceItem(
                    case_id=scene.case_id,
                    storage_backend="local",
                    storage_key=f"originals/{name}",
                    original_filename=name,
                    size=2_500_000,
                    sniffed_type="image/jpeg" if name.endswith("jpg") else "application/x-dosexec",
                    sha256=name[:3] * 21 + "a",
                    review_state=state,
                    quarantine_reason=reason,
                    received_at=now - timedelta(minutes=age),
                )
            )
        await session.commit()

    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        listed = await client.get("/cases")
        assert ">1</td>" in listed.text.replace(" ", "")  # one request
        page = await client.get(f"/cases/{scene.case_id}")
        assert page.status_code == 200
        assert "Sam Witness" in page.text
        assert "text message: delivered" not in page.text  # not delivered yet: still queued
        assert "sms: queued" in page.text
        assert page.text.index("odd.exe") < page.text.index("old.jpg")
        assert "not an accepted kind of file" in page.text
        assert "quarantined" in page.text
        assert "2.5 MB" in page.text
        assert "old" * 21 + "a" in page.text
        assert "/requests/new" in page.text


async def test_another_forces_case_is_not_found(settings: Settings, platform: Platform) -> None:
    scene = await make_scene(platform, "kent")
    stranger = await make_user(platform, "essex")
    async with browser(settings) as client:
        await sign_in(client, stranger.email)
        for path in (f"/cases/{scene.case_id}", f"/cases/{scene.case_id}/requests/new"):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert "Page not found" in response.text
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        for action in ("resend", "extend", "revoke"):
            response = await submit(
                client, f"/requests/{scene.request_id}/{action}", {"reason": "mine now"}
            )
            assert response.status_code == 404, action
        assert "KENT/123/26" not in (await client.get("/cases")).text


async def test_an_auditor_may_look_but_not_act(settings: Settings, platform: Platform) -> None:
    scene = await make_scene(platform)
    auditor = await make_user(platform, role=Role.AUDITOR)
    async with browser(settings) as client:
        await sign_in(client, auditor.email)
        page = await client.get(f"/cases/{scene.case_id}")
        assert page.status_code == 200
        assert "Sam Witness" in page.text
        assert "Resend link" not in page.text
        assert "/requests/new" not in page.text
        assert "Open a case" not in (await client.get("/cases")).text

        assert (await client.get(f"/cases/{scene.case_id}/requests/new")).status_code == 403
        refused = await submit(
            client,
            f"/cases/{scene.case_id}/requests/new",
            {"recipient_name": "Ann", "channels": "sms", "phone": "07911 123456"},
        )
        assert refused.status_code == 403
        assert "You cannot do that" in refused.text
        assert (await submit(client, "/cases", {"reference": "X/1"})).status_code == 403
        assert (await submit(client, f"/requests/{scene.request_id}/resend", {})).status_code == 403
        assert (await client.get("/outbox")).status_code == 403


async def test_anonymous_visitors_are_sent_to_sign_in(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    async with browser(settings) as client:
        for path in ("/cases", f"/cases/{scene.case_id}", "/outbox"):
            response = await client.get(path, follow_redirects=False)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/sign-in"), path
        page = await client.get("/sign-in")
        response = await client.post(
            f"/requests/{scene.request_id}/revoke",
            data={"reason": "x", "_csrf_token": client.cookies.get("exhibit_csrf")},
            follow_redirects=False,
        )
        assert (response.status_code, response.headers["location"]) == (303, "/sign-in")
        assert page.status_code == 200


async def test_cases_are_found_by_officer_status_and_date(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)  # case KENT/123/26 by PC Test
    other = await make_user(platform, "kent", Role.SUPERVISOR, name="Sgt Ann Lee")
    async with platform.force_session(scene.force_id) as session:
        session.add(
            Case(
                reference="KENT/9/25",
                title="Old",
                status=CaseStatus.CLOSED,
                officer_id=other.user_id,
                created_at=utcnow() - timedelta(days=400),
            )
        )
        await session.commit()
    today = utcnow().date()
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        by_officer = await client.get("/cases", params={"officer": "ann lee"})
        assert "KENT/9/25" in by_officer.text
        assert "KENT/123/26" not in by_officer.text
        by_email = await client.get("/cases", params={"officer": "officer@kent"})
        assert "KENT/123/26" in by_email.text
        closed = await client.get("/cases", params={"status": "closed"})
        assert "KENT/9/25" in closed.text
        assert "KENT/123/26" not in closed.text
        recent = await client.get("/cases", params={"opened_from": str(today - timedelta(days=1))})
        assert "KENT/123/26" in recent.text
        assert "KENT/9/25" not in recent.text
        old = await client.get("/cases", params={"opened_to": str(today - timedelta(days=300))})
        assert "KENT/9/25" in old.text
        assert "KENT/123/26" not in old.text
        bad = await client.get("/cases", params={"opened_from": "last tuesday"})
        assert bad.status_code == 400
        assert "Enter a date as YYYY-MM-DD" in bad.text
        # The calendar's first and last days are dates too (the day after the last one is not).
        for edge in ("0001-01-01", "9999-12-31"):
            for field in ("opened_from", "opened_to"):
                shown = await client.get("/cases", params={field: edge})
                assert shown.status_code == 200, (field, edge)
        everything = await client.get("/cases", params={"opened_to": "9999-12-31"})
        assert "KENT/9/25" in everything.text
        assert "KENT/123/26" in everything.text


async def test_a_big_case_is_shown_a_page_at_a_time(settings: Settings, platform: Platform) -> None:
    scene = await make_scene(platform)
    now = utcnow()
    count = ITEMS_PER_PAGE + 5
    async with platform.force_session(scene.force_id) as session:
        session.add_all(
            EvidenceItem(
                case_id=scene.case_id,
                storage_backend="local",
                storage_key=f"originals/{n}",
                original_filename=f"clip-{n:04d}.mp4",
                size=1000,
                sniffed_type="video/mp4",
                sha256=f"{n:064x}",
                received_at=now - timedelta(seconds=n),
            )
            for n in range(count)
        )
        await session.commit()
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        first = await client.get(f"/cases/{scene.case_id}")
        assert f"{count} items, newest first (showing 1 to {ITEMS_PER_PAGE})" in first.text
        assert first.text.count('name="item"') == ITEMS_PER_PAGE
        assert "clip-0000.mp4" in first.text
        second = await client.get(f"/cases/{scene.case_id}", params={"page": 2})
        assert second.text.count('name="item"') == 5
        assert f"clip-{count - 1:04d}.mp4" in second.text
        assert "clip-0000.mp4" not in second.text
        assert (await client.get(f"/cases/{scene.case_id}", params={"page": 0})).status_code == 400


async def test_the_case_list_is_shown_a_page_at_a_time_keeping_the_search(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)  # one open case, KENT/123/26
    await make_scene(platform, "essex")  # another force's case is never counted
    count = 4 * CASES_PER_PAGE + 5
    async with platform.force_session(scene.force_id) as session:
        session.add_all(Case(reference=f"KENT/{n}/25", title="Old") for n in range(1, count))
        session.add(Case(reference="KENT/1/24", title="Shut", status=CaseStatus.CLOSED))
        await session.commit()
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        first = await client.get("/cases", params={"status": "open"})
        assert f"Showing 1{TO}{CASES_PER_PAGE} of {count} cases, newest first." in first.text
        assert first.text.count('<a class="govuk-link" href="/cases/') == CASES_PER_PAGE
        assert f"KENT/{count - 1}/25" in first.text
        assert "Page 1 of 5" in first.text
        assert 'href="/cases?status=open&amp;page=2" rel="next"' in first.text
        # The form to open a case is reachable from the top, before the list.
        assert first.text.index('href="#open-case"') < first.text.index("KENT/")

        last = await client.get("/cases", params={"status": "open", "page": 5})
        assert f"Showing {count - 4}{TO}{count} of {count} cases" in last.text
        assert "KENT/123/26" in last.text  # the oldest open case
        assert "KENT/1/24" not in last.text
        assert 'href="/cases?status=open&amp;page=4" rel="prev"' in last.text
        assert 'rel="next"' not in last.text
        assert (await client.get("/cases", params={"page": 0})).status_code == 400


async def test_a_witness_submission_reference_finds_its_case(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    other = await make_scene(platform, "essex")
    async with platform.force_session(scene.force_id) as session:
        session.add(Case(reference="KENT/124/26", title="Another"))
        session.add(
            Submission(
                request_id=scene.request_id, reference="EXH-JM7R-BQVZ", completed_at=utcnow()
            )
        )
        await session.commit()
    async with platform.force_session(other.force_id) as session:
        session.add(Submission(request_id=other.request_id, reference="EXH-ESSX-2222"))
        await session.commit()
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        found = await client.get("/cases", params={"reference": " exh-jm7r-bqvz "})
        assert f'href="/cases/{scene.case_id}"' in found.text
        assert f"Showing 1{TO}1 of 1 case," in found.text
        for near_miss in ("EXH-JM7R", "EXH-ESSX-2222"):  # exact only; never another force's
            missed = await client.get("/cases", params={"reference": near_miss})
            assert "No case has a reference containing" in missed.text, near_miss
        page = await client.get(f"/cases/{scene.case_id}")
        assert 'data-submission-reference="EXH-JM7R-BQVZ"' in page.text
        assert "EXH-ESSX-2222" not in page.text
    async with browser(settings) as client:
        await sign_in(client, "officer@essex.test")
        theirs = await client.get("/cases", params={"reference": "exh-essx-2222"})
        assert f'href="/cases/{other.case_id}"' in theirs.text
        assert "still uploading" in (await client.get(f"/cases/{other.case_id}")).text


async def test_an_officer_corrects_a_cases_reference_and_title_audited(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)  # KENT/123/26, "Burglary"
    async with platform.force_session(scene.force_id) as session:
        session.add(Case(reference="KENT/124/26", title="Another"))
        await session.commit()
    url = f"/cases/{scene.case_id}/edit"
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        page = await client.get(f"/cases/{scene.case_id}")
        assert f'href="{url}"' in page.text
        form = await client.get(url)
        assert 'value="KENT/123/26"' in form.text
        assert 'value="Burglary"' in form.text

        taken = await submit(client, url, {"reference": "kent/124/26", "title": "Aggravated"})
        assert taken.status_code == 400
        assert "govuk-error-summary" in taken.text
        assert "Case kent/124/26 already exists (as KENT/124/26" in taken.text
        assert 'value="kent/124/26"' in taken.text
        assert 'value="Aggravated"' in taken.text
        long_title = await submit(client, url, {"reference": "KENT/123/26", "title": "x" * 301})
        assert long_title.status_code == 400
        assert 'href="#title"' in long_title.text

        done = await submit(client, url, {"reference": " kent/123/26b ", "title": "Aggravated"})
        assert done.status_code == 200
        assert "Case kent/123/26b updated." in done.text
        assert "kent/123/26b: Aggravated" in done.text
        # Its own reference in other capitals is no clash.
        capitals = await submit(client, url, {"reference": "KENT/123/26B", "title": "Aggravated"})
        assert "Case KENT/123/26B updated." in capitals.text
        same = await submit(client, url, {"reference": "KENT/123/26B", "title": "Aggravated"})
        assert "Nothing was changed." in same.text

    events = await audit_events(platform, scene.force_id, "case.details_changed")
    assert [e.details for e in events] == [
        {
            "reference": {"from": "KENT/123/26", "to": "kent/123/26b"},
            "title": {"from": "Burglary", "to": "Aggravated"},
        },
        {"reference": {"from": "kent/123/26b", "to": "KENT/123/26B"}},
    ]
    assert events[0].actor == f"user:{scene.officer_id}"


async def test_closing_a_case_confirms_and_revokes_the_links_still_open(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)  # one live link, sent to Sam Witness
    item_id = await arrived(platform, scene, png(), filename="before.png")
    url = f"/cases/{scene.case_id}/close"
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        assert f'href="{url}"' in (await client.get(f"/cases/{scene.case_id}")).text
        confirm = await client.get(url)
        assert confirm.status_code == 200
        assert "1 evidence link is still open" in confirm.text
        assert "Sam Witness (uploading" in confirm.text
        assert 'name="revoking" value="1"' in confirm.text
        assert "Yes, close the case and revoke 1 link" in confirm.text

        no_reason = await submit(client, url, {"reason": "  ", "revoking": "1"})
        assert no_reason.status_code == 400
        assert "govuk-error-summary" in no_reason.text
        assert "A reason is required to close a case" in no_reason.text
        # A page shown before the link was sent would confirm none: nothing changes.
        stale = await submit(client, url, {"reason": "Charged", "revoking": "0"})
        assert stale.status_code == 400
        assert "changed since this page was shown: 1 is open now" in stale.text
        assert "Charged</textarea>" in stale.text
        assert await _state(platform, scene) == (CaseStatus.OPEN, RequestState.UPLOADING)

        closed = await submit(client, url, {"reason": "Suspect charged", "revoking": "1"})
        assert closed.status_code == 200
        assert "Case KENT/123/26 closed. 1 link revoked." in closed.text
        assert 'data-case-status="closed"' in closed.text
        assert "by PC Test: Suspect charged" in closed.text
        assert "/requests/new" not in closed.text
        assert "Resend link" not in closed.text
        assert f'href="/cases/{scene.case_id}/reopen"' in closed.text
        assert await _state(platform, scene) == (CaseStatus.CLOSED, RequestState.REVOKED)

        listed = await client.get("/cases", params={"status": "closed"})
        assert "KENT/123/26" in listed.text
        assert "KENT/123/26" not in (await client.get("/cases", params={"status": "open"})).text

        # No new evidence can be asked for; what arrived can still be reviewed.
        form = await client.get(f"/cases/{scene.case_id}/requests/new")
        assert "is closed: reopen it to ask a witness for evidence" in form.text
        refused = await submit(
            client,
            f"/cases/{scene.case_id}/requests/new",
            {"recipient_name": "Ann", "channels": "sms", "phone": "07911 123456"},
        )
        assert refused.status_code == 400
        assert "Case KENT/123/26 is closed" in refused.text
        extended = await submit(client, f"/requests/{scene.request_id}/extend", {})
        assert "cannot be extended" in extended.text
        bulk: dict[str, object] = {"action": "accept", "item": [item_id]}
        await submit(client, f"/cases/{scene.case_id}/items/bulk", bulk)
        async with platform.force_session(scene.force_id) as session:
            item = await session.get(EvidenceItem, item_id)
            assert item is not None and item.review_state == ReviewState.ACCEPTED
        again = await client.get(url)
        assert "Case KENT/123/26 is closed" in again.text

    [event] = await audit_events(platform, scene.force_id, "case.closed")
    assert (event.reason, event.details["revoked_requests"]) == (
        "Suspect charged",
        [scene.request_id],
    )
    [revoked] = await audit_events(platform, scene.force_id, "request.revoked")
    assert revoked.reason == "Case KENT/123/26 closed: Suspect charged"


async def test_a_closed_case_is_reopened_with_a_reason(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    auditor = await make_user(platform, role=Role.AUDITOR)
    url = f"/cases/{scene.case_id}/reopen"
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        await client.get(f"/cases/{scene.case_id}")
        await submit(client, f"/cases/{scene.case_id}/close", {"reason": "NFA", "revoking": "1"})
        assert (await client.get(url)).status_code == 200

        blank = await submit(client, url, {"reason": ""})
        assert blank.status_code == 400
        assert "A reason is required to reopen a case" in blank.text
        reopened = await submit(client, url, {"reason": "New witness came forward"})
        assert "Case KENT/123/26 reopened." in reopened.text
        assert 'data-case-status="open"' in reopened.text
        assert f'href="/cases/{scene.case_id}/requests/new"' in reopened.text
        already = await submit(client, url, {"reason": "Twice"})
        assert "Case KENT/123/26 is already open" in already.text
        asked = await submit(
            client,
            f"/cases/{scene.case_id}/requests/new",
            {"recipient_name": "Ann", "channels": "sms", "phone": "07911 123456"},
        )
        assert "Evidence request sent to Ann." in asked.text
    # The link revoked on closing stays revoked.
    assert await _state(platform, scene) == (CaseStatus.OPEN, RequestState.REVOKED)
    [event] = await audit_events(platform, scene.force_id, "case.reopened")
    assert (event.reason, event.actor) == ("New witness came forward", f"user:{scene.officer_id}")

    async with browser(settings) as client:
        await sign_in(client, auditor.email)
        page = await client.get(f"/cases/{scene.case_id}")
        assert "/close" not in page.text
        assert "/edit" not in page.text
        for path in ("close", "reopen", "edit"):
            assert (await client.get(f"/cases/{scene.case_id}/{path}")).status_code == 403
            refused = await submit(client, f"/cases/{scene.case_id}/{path}", {"reason": "x"})
            assert refused.status_code == 403


async def test_a_blank_or_over_long_reason_to_close_or_reopen_comes_back_by_its_field(
    settings: Settings, platform: Platform
) -> None:
    """The confirmation again (400), the summary leading to the reason, which keeps what was
    typed (trimmed); the case and its link stay as they were, and nothing is audited."""
    scene = await make_scene(platform)  # one live link
    too_long = "No further action. " * 60
    over = f"A reason is at most {MAX_REASON} characters"
    before = await _state(platform, scene)
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        close = f"/cases/{scene.case_id}/close"
        await client.get(close)
        blank = await submit(client, close, {"reason": "  ", "revoking": "1"})
        assert_refused_by_field(blank, "reason", "A reason is required to close a case", "")
        long = await submit(client, close, {"reason": too_long, "revoking": "1"})
        assert_refused_by_field(long, "reason", over, too_long.strip())
        assert await _state(platform, scene) == before
        assert await audit_events(platform, scene.force_id, "case.closed") == []

        await submit(client, close, {"reason": "NFA", "revoking": "1"})
        reopen = f"/cases/{scene.case_id}/reopen"
        blank = await submit(client, reopen, {"reason": ""})
        assert_refused_by_field(blank, "reason", "A reason is required to reopen a case", "")
        long = await submit(client, reopen, {"reason": too_long})
        assert_refused_by_field(long, "reason", over, too_long.strip())
    assert await _state(platform, scene) == (CaseStatus.CLOSED, RequestState.REVOKED)
    assert await audit_events(platform, scene.force_id, "case.reopened") == []


async def _state(platform: Platform, scene: Scene) -> tuple[CaseStatus, RequestState]:
    async with platform.force_session(scene.force_id) as session:
        case = await session.get(Case, scene.case_id)
        request = await session.get(EvidenceRequest, scene.request_id)
        assert case is not None and request is not None
        return case.status, request.state


async def test_the_case_list_shows_and_finds_evidence_waiting_for_review(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)  # case KENT/123/26
    waiting = [await arrived(platform, scene, png(colour=(c, 3, 3))) for c in range(3)]
    async with platform.force_session(scene.force_id) as session:
        session.add(Case(reference="KENT/7/26", title="Nothing sent yet", officer_id=None))
        await session.commit()
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        await client.get(f"/items/{waiting[0]}")
        await submit(client, f"/items/{waiting[0]}/accept", {})

        listed = await client.get("/cases")
        assert "Waiting for review" in listed.text
        assert 'data-waiting="2"' in listed.text  # three arrived, one accepted
        assert 'data-waiting="0"' in listed.text  # the case with nothing yet
        assert f'href="/cases/{scene.case_id}#evidence"' in listed.text
        assert 'href="/cases?waiting=yes"' in listed.text

        only_waiting = await client.get("/cases", params={"waiting": "yes"})
        assert "KENT/123/26" in only_waiting.text
        assert "KENT/7/26" not in only_waiting.text
        assert 'id="search-waiting" name="waiting" type="checkbox" value="yes" checked' in (
            only_waiting.text
        )

        await submit(
            client, f"/cases/{scene.case_id}/items/bulk", {"action": "accept", "item": waiting[1:]}
        )
        none_left = await client.get("/cases", params={"waiting": "yes"})
        assert none_left.status_code == 200
        assert "KENT/123/26" not in none_left.text
        assert "No case matches your search" in none_left.text
