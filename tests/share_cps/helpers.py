"""API tokens, the job worker, invitations and bundle reading for the share_cps tests."""

import io
import json
import zipfile
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from exhibit.accounts.models import Role
from exhibit.accounts.service import create_api_token, create_user
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.worker import Worker
from exhibit.notifications.models import Notification
from exhibit.notifications.service import unseal
from exhibit.platform import Platform
from tests.share_cps.world import World

PROSECUTOR = "prosecutor@cps.test"
PASSWORD = "a long prosecutor passphrase"


async def api_headers(
    platform: Platform, force_id: int, email: str, role: Role = Role.OFFICER
) -> dict[str, str]:
    """The Authorization header of a new user's API token."""
    async with force_transaction(platform, force_id) as tx:
        user = await create_user(
            tx.session,
            force_id,
            email=email,
            name="Someone",
            role=role,
            password="correct horse battery",
            actor="test",
        )
        _, token = await create_api_token(tx.session, user, name="t", actor="test")
    return {"Authorization": f"Bearer {token}"}


def read_bundle(data: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every member of a bundle."""
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        members = {name: bundle.read(name) for name in bundle.namelist()}
    return json.loads(members["manifest.json"]), members


def rewrite_bundle(data: bytes, replace: dict[str, bytes]) -> bytes:
    """A copy of a bundle with some members' contents replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, replace.get(info.filename, source.read(info.filename)))
    return out.getvalue()


async def drain(platform: Platform) -> None:
    """Run every due job (the scene's messages, the delivery) to its outcome."""
    worker = Worker(platform)
    for _ in range(50):
        if not await worker.run_once():
            return
    raise AssertionError("jobs kept coming")


async def invite_path(platform: Platform, force_id: int, email: str) -> str:
    """The path of the invitation link emailed to ``email``."""
    async with platform.force_session(force_id) as session:
        invites = [
            n
            for n in await session.scalars(
                select(Notification).where(Notification.purpose == "partner_invite")
            )
            if platform.secret_box.decrypt(n.recipient_encrypted or "") == email
        ]
    assert len(invites) == 1
    assert invites[0].body_encrypted is not None
    link = unseal(platform.secret_box, invites[0].body_encrypted).link
    assert link is not None
    return link[link.index("/plugins/") :]


async def share_by_api(
    client: AsyncTestClient[Litestar], world: World, headers: dict[str, str], **body: Any
) -> int:
    """The id of a portal share to the prosecutor made through the API: the redacted exhibit
    for 30 days unless ``body`` says otherwise."""
    made = await client.post(
        f"/api/v1/cases/{world.scene.case_id}/shares",
        json={
            "item_ids": [world.redacted.id],
            "target": "cps_portal",
            "recipient": PROSECUTOR,
            "expires_in_days": 30,
        }
        | body,
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])
