"""A refused API token says why: missing, unknown, revoked, or its account deactivated."""

import pytest

from exhibit.accounts.models import Role, User
from exhibit.accounts.service import create_api_token, revoke_api_token
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.officer import browser, make_user

CHALLENGE = 'Bearer realm="exhibit", error="invalid_token"'


async def _token(platform: Platform, force_id: int, user_id: int) -> tuple[int, str]:
    async with force_transaction(platform, force_id) as tx:
        user = await tx.session.get(User, user_id)
        assert user is not None
        row, token = await create_api_token(tx.session, user, name="cms", actor="test")
    return row.id, token


@pytest.mark.parametrize(
    ("header", "detail", "challenge"),
    [
        (None, "an API token is required", 'Bearer realm="exhibit"'),
        ("Bearer  ", "an API token is required", 'Bearer realm="exhibit"'),
        ("Bearer exh_forged", "the API token is not valid", CHALLENGE),
    ],
)
async def test_a_missing_or_unknown_token_is_a_401_that_says_so(
    settings: Settings, platform: Platform, header: str | None, detail: str, challenge: str
) -> None:
    async with browser(settings) as client:
        response = await client.get(
            "/api/v1/cases", headers={"Authorization": header} if header else {}
        )
    assert response.status_code == 401
    assert response.json()["detail"].startswith(detail)
    assert response.headers["www-authenticate"] == challenge


async def test_a_revoked_token_and_a_deactivated_account_are_named_as_such(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    colleague = await make_user(platform, role=Role.SUPERVISOR, name="Sgt Other")
    token_id, revoked = await _token(platform, officer.force_id, officer.user_id)
    _, deactivated = await _token(platform, colleague.force_id, colleague.user_id)
    async with force_transaction(platform, officer.force_id) as tx:
        await revoke_api_token(tx.session, officer.user_id, token_id, actor="test")
        user = await tx.session.get(User, colleague.user_id)
        assert user is not None
        user.active = False

    async with browser(settings) as client:
        gone = await client.get("/api/v1/cases", headers={"Authorization": f"Bearer {revoked}"})
        off = await client.get("/api/v1/cases", headers={"Authorization": f"Bearer {deactivated}"})
    assert (gone.status_code, off.status_code) == (401, 401)
    assert gone.json()["detail"].startswith("the API token was revoked at ")
    assert off.json()["detail"] == "the API token's user account is deactivated"
    assert gone.headers["www-authenticate"] == off.headers["www-authenticate"] == CHALLENGE
