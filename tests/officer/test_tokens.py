"""Personal API tokens in the web app: created and shown once, listed, revoked."""

import re

from sqlalchemy import select

from exhibit.accounts.models import ApiToken, Role
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.officer import audit_events, browser, make_user, sign_in, submit
from tests.officer.field_errors import assert_refused_by_field

TOKEN = re.compile(r"<code class=\"exhibit-token\" data-token>(exh_[^<]+)</code>")


async def test_an_officer_creates_uses_and_revokes_a_token(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        listing = await client.get("/account/tokens")
        assert listing.status_code == 200
        assert "You have no tokens" in listing.text

        created = await submit(client, "/account/tokens", {"name": "case import"})
        assert created.status_code == 200
        found = TOKEN.search(created.text)
        assert found, created.text
        token = found.group(1)
        api = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/cases/", headers=api)).status_code == 200

        again = await client.get("/account/tokens")
        assert token not in again.text  # shown once only
        assert "case import" in again.text
        async with platform.force_session(officer.force_id) as session:
            row = await session.scalar(select(ApiToken))
        assert row is not None
        assert token not in row.token_hash

        revoked = await submit(client, f"/account/tokens/{row.id}/revoke", {})
        assert revoked.status_code == 200
        assert "was revoked" in revoked.text
        assert (await client.get("/api/v1/cases/", headers=api)).status_code == 401

    [made] = await audit_events(platform, officer.force_id, "api_token.created")
    [gone] = await audit_events(platform, officer.force_id, "api_token.revoked")
    assert made.object_id == gone.object_id == str(row.id)
    assert token not in str(made.details)


async def test_a_token_needs_a_name_and_only_its_owner_revokes_it(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    colleague = await make_user(platform, role=Role.SUPERVISOR, name="Sgt Other")
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        await client.get("/account/tokens")
        blank = await submit(client, "/account/tokens", {"name": "  "})
        assert_refused_by_field(blank, "name", "Enter what the token is for", "")
        long = await submit(client, "/account/tokens", {"name": "x" * 201})
        # The box takes 200 characters (maxlength): it keeps as many as it can show.
        assert_refused_by_field(long, "name", "Use 200 characters or fewer", "x" * 200)
        await submit(client, "/account/tokens", {"name": "mine"})
    async with browser(settings) as client:
        await sign_in(client, colleague.email)
        async with platform.force_session(officer.force_id) as session:
            row = await session.scalar(select(ApiToken))
        assert row is not None
        refused = await submit(client, f"/account/tokens/{row.id}/revoke", {})
        assert refused.status_code == 404
    async with platform.force_session(officer.force_id) as session:
        assert (await session.get(ApiToken, row.id)).revoked_at is None  # type: ignore[union-attr]
