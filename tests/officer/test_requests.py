"""Asking a witness for evidence from the web app, then managing the link."""

import re
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.db.base import utcnow
from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.uploads.links import LinkProblem, LinkRefused, request_for_token
from exhibit.uploads.models import EvidenceRequest, RequestState
from tests.fixtures.officer import (
    audit_events,
    browser,
    make_user,
    run_queued_jobs,
    sign_in,
    submit,
)
from tests.fixtures.witness import make_scene
from tests.officer.field_errors import assert_refused_by_field

LINK = re.compile(r"http://127\.0\.0\.1:8000/u/([A-Za-z0-9_-]+)")


async def _case(client: AsyncTestClient[Litestar]) -> int:
    response = await submit(client, "/cases", {"reference": "KENT/9/26", "title": "Assault"})
    return int(response.url.path.rsplit("/", 1)[1])


async def test_an_officer_asks_for_evidence_and_the_outbox_holds_the_link(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        case_id = await _case(client)
        form = await client.get(f"/cases/{case_id}/requests/new")
        assert form.status_code == 200
        assert 'name="expires_in_days" type="text" value="7"' in form.text  # the force's default

        sent = await submit(
            client,
            f"/cases/{case_id}/requests/new",
            {
                "recipient_name": "Sam Witness",
                "channels": ["sms", "email"],
                "phone": "07911 123456",
                "email": "sam@example.org",
                "message": "Please send the dashcam clip.",
                "incident_date": "2026-01-05",
                "incident_time": "17:30",
                "incident_place": "A2 near Dartford",
                "expires_in_days": "3",
            },
        )
        assert sent.url.path == f"/cases/{case_id}"
        assert "Evidence request sent to Sam Witness." in sent.text

        await run_queued_jobs(platform)
        outbox = await client.get("/outbox")
        assert outbox.status_code == 200
        assert "+447911123456" in outbox.text
        assert "sam@example.org" in outbox.text
        assert "Please send the dashcam clip." in outbox.text
        [token, same_token] = LINK.findall(outbox.text)
        assert token == same_token  # one link, sent by text and by email
        assert '<a class="govuk-link" href="http://127.0.0.1:8000/u/' not in outbox.text

    async with platform.force_session(officer.force_id) as session:
        request = await request_for_token(session, token)
        assert request.incident_place == "A2 near Dartford"
        assert request.incident_at is not None
        assert request.incident_at.hour == 17  # 17:30 in January is 17:30 UTC
        assert request.expires_at - utcnow() < timedelta(days=3, minutes=1)
    assert len(await audit_events(platform, officer.force_id, "outbox.viewed")) == 1
    assert len(await audit_events(platform, officer.force_id, "request.created")) == 1


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"phone": "0123"}, "Enter a valid mobile number", "phone"),
        ({"phone": "020 7946 0000"}, "Enter a valid mobile number", "phone"),
        ({"phone": ""}, "Enter a mobile number to send the link to", "phone"),
        ({"recipient_name": " "}, "Enter the witness&#39;s name", "recipient_name"),
        ({"channels": []}, "Choose text message, email or both", "channels"),
        ({"channels": ["email"], "email": "not-an-address"}, "Enter a valid email", "email"),
        ({"expires_in_days": "365"}, "Enter a number of days from 1 to 90", "expires_in_days"),
        ({"max_files": "²"}, "Enter a number of files from 1 to 500", "max_files"),
        ({"incident_date": "2026-01-05"}, "Enter the date and time", "incident_date"),
        (
            {"incident_date": "2999-01-01", "incident_time": "10:00"},
            "must be in the past",
            "incident_date",
        ),
    ],
)
async def test_a_form_with_mistakes_comes_back_with_an_error_summary(
    settings: Settings, platform: Platform, fields: dict[str, object], message: str, field: str
) -> None:
    officer = await make_user(platform)
    good = {"recipient_name": "Sam", "channels": ["sms"], "phone": "07911 123456"}
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        case_id = await _case(client)
        response = await submit(client, f"/cases/{case_id}/requests/new", good | fields)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert f'href="#{field}"' in response.text
    assert message in response.text
    assert 'value="Sam"' in response.text or field == "recipient_name"  # typed values are kept
    async with platform.force_session(officer.force_id) as session:
        assert (await session.scalars(select(EvidenceRequest))).all() == []


async def test_the_forms_cancel_link_sits_with_its_button(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        case_id = await _case(client)
        form = (await client.get(f"/cases/{case_id}/requests/new")).text
    group = re.search(r'<div class="govuk-button-group">(.*?)</div>', form, re.S)
    assert group, "the form's button has no button group"
    assert "Send the request</button>" in group.group(1)
    assert f'<a class="govuk-link" href="/cases/{case_id}">Cancel</a>' in group.group(1)


async def test_the_error_summary_follows_the_page_and_opens_the_limits(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        case_id = await _case(client)
        url = f"/cases/{case_id}/requests/new"
        assert '<details class="govuk-details">' in (await client.get(url)).text
        fields: dict[str, object] = {
            "recipient_name": " ",
            "channels": ["sms"],
            "phone": "07700 900982",  # Ofcom's drama range: not a number that takes texts
            "max_files": "0",
            "expires_in_days": "365",
        }
        response = await submit(client, url, fields)
        assert response.status_code == 400
        summary = response.text.split("govuk-error-summary__list")[1].split("</ul>")[0]
        links = re.findall(r'href="#([a-z_]+)"', summary)
        assert links == ["recipient_name", "phone", "expires_in_days", "max_files"]
        assert '<details class="govuk-details" open>' in response.text
        assert "07700 900982" not in summary  # the message suggests no number that fails
        assert "a UK mobile starting with 07, or an international number starting with +" in (
            summary
        )
        no_limits = await submit(client, url, fields | {"max_files": "3", "expires_in_days": ""})
        assert no_limits.status_code == 400
        assert '<details class="govuk-details">' in no_limits.text


async def test_resending_sends_a_new_link_and_kills_the_old_one(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    await run_queued_jobs(platform)  # the first link went (one still waiting is never sent)
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        await client.get(f"/cases/{scene.case_id}")
        page = await submit(client, f"/requests/{scene.request_id}/resend", {})
        assert page.url.path == f"/cases/{scene.case_id}"
        assert "A new link was sent. The old link no longer works." in page.text
        await run_queued_jobs(platform)
        outbox = await client.get("/outbox")

    new_tokens = set(re.findall(r"https?://[^/\s]+/u/([A-Za-z0-9_-]+)", outbox.text))
    assert scene.token in new_tokens  # the first message is still listed ...
    [new_token] = new_tokens - {scene.token}  # ... and the new one beside it
    async with platform.force_session(scene.force_id) as session:
        with pytest.raises(LinkRefused) as refused:
            await request_for_token(session, scene.token)
        assert refused.value.problem == LinkProblem.UNKNOWN
        assert (await request_for_token(session, new_token)).id == scene.request_id
    [event] = await audit_events(platform, scene.force_id, "request.resent")
    assert event.actor.startswith("user:")


async def test_extending_and_revoking_are_audited(settings: Settings, platform: Platform) -> None:
    scene = await make_scene(platform, expires_in_days=1)
    async with browser(settings) as client:
        await sign_in(client, "officer@kent.test")
        await client.get(f"/cases/{scene.case_id}")
        extended = await submit(client, f"/requests/{scene.request_id}/extend", {})
        assert "The link now works until 7 days from now." in extended.text

        no_reason = await submit(client, f"/requests/{scene.request_id}/revoke", {"reason": " "})
        field = f"revoke-reason-{scene.request_id}"
        message = "A reason is required to revoke a request"
        assert_refused_by_field(no_reason, field, message, " ")
        # The case page again, its "Manage link" open where the field is.
        assert '<details class="govuk-details govuk-!-margin-bottom-0" open>' in no_reason.text
        async with platform.force_session(scene.force_id) as session:
            request = await session.get(EvidenceRequest, scene.request_id)
            assert request is not None
            assert request.state != RequestState.REVOKED
        assert await audit_events(platform, scene.force_id, "request.revoked") == []
        revoked = await submit(
            client, f"/requests/{scene.request_id}/revoke", {"reason": "Sent to the wrong number"}
        )
        assert "The link was revoked and no longer works." in revoked.text
        assert "Resend link" not in revoked.text

        too_late = await submit(client, f"/requests/{scene.request_id}/resend", {})
        assert "the request is revoked; create a new one instead" in too_late.text.lower()

    async with platform.force_session(scene.force_id) as session:
        request = await session.get(EvidenceRequest, scene.request_id)
        assert request is not None
        assert request.state == RequestState.REVOKED
        assert request.expires_at - utcnow() > timedelta(days=6)
    assert len(await audit_events(platform, scene.force_id, "request.extended")) == 1
    [revoke] = await audit_events(platform, scene.force_id, "request.revoked")
    assert revoke.reason == "Sent to the wrong number"
    assert await audit_events(platform, scene.force_id, "request.resent") == []


async def test_a_request_by_email_only_ignores_a_mobile_number_left_behind(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        case_id = await _case(client)
        # Text message was unticked after a mistyped number: its field is hidden, not used.
        asked = {
            "recipient_name": "Sam",
            "channels": ["email"],
            "phone": "0123",
            "email": "sam@example.org ",
        }
        sent = await submit(client, f"/cases/{case_id}/requests/new", asked)
        assert sent.url.path == f"/cases/{case_id}", sent.text
    async with platform.force_session(officer.force_id) as session:
        request = await session.scalar(select(EvidenceRequest))
    assert request is not None
    assert (request.channels, request.recipient_phone) == (["email"], None)
    assert request.recipient_email == "sam@example.org"
