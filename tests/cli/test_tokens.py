"""``exhibit token list`` and ``exhibit token revoke``, run by the real entry point."""

import asyncio
import subprocess

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.accounts.models import ApiToken, User
from exhibit.accounts.service import create_api_token
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.web.app import create_app
from tests.fixtures.cli import invoke_exhibit
from tests.fixtures.officer import make_user


async def test_an_operator_lists_and_revokes_a_token(platform: Platform) -> None:
    officer = await make_user(platform)
    async with force_transaction(platform, officer.force_id) as tx:
        user = await tx.session.get(User, officer.user_id)
        assert user is not None
        row, token = await create_api_token(tx.session, user, name="nightly export", actor="test")

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(invoke_exhibit, platform.settings, *args)

    listed = await run("token", "list", officer.email)
    assert listed.returncode == 0, listed.stderr
    assert f"{row.id}" in listed.stdout
    assert "active" in listed.stdout
    assert "nightly export" in listed.stdout
    assert token not in listed.stdout

    revoked = await run("token", "revoke", officer.email.upper(), str(row.id))
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in revoked.stdout
    unknown = await run("token", "revoke", officer.email, str(row.id + 100))
    assert unknown.returncode == 1
    assert "has no token" in unknown.stderr
    nobody = await run("token", "revoke", "nobody@kent.test", str(row.id))
    assert nobody.returncode == 1
    assert "Traceback" not in nobody.stderr

    async with platform.force_session(officer.force_id) as session:
        stored = await session.scalar(select(ApiToken))
    assert stored is not None and stored.revoked_at is not None
    app = create_app(platform.settings, load_builtin_plugins())
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/api/v1/cases/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
