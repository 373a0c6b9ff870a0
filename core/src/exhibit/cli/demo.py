"""``exhibit demo``: a ready-to-try force on a fresh machine."""

import secrets

from sqlalchemy import select

from exhibit.accounts.models import Role, User
from exhibit.accounts.passwords import hash_password
from exhibit.accounts.service import create_api_token, create_user
from exhibit.audit import log as audit
from exhibit.forces.models import Force
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform

DEMO_FORCE = "demo"
DEMO_USERS = (
    ("officer@demo.exhibit.invalid", "Demo Officer", Role.OFFICER),
    # Approves disposals and releases quarantined files: a second pair of eyes on the officer.
    ("supervisor@demo.exhibit.invalid", "Demo Supervisor", Role.SUPERVISOR),
    ("admin@demo.exhibit.invalid", "Demo Admin", Role.FORCE_ADMIN),
)


async def run_demo(platform: Platform, url: str) -> str:
    """Migrate, create (or refresh) the demo force and its users; return sign-in instructions.

    ``url`` is where the demo will be served. Passwords are random and set anew on every
    run, so the printed ones always work and no fixed demo password exists anywhere.
    """
    # Alembic loads only in the processes that migrate (``exhibit serve`` does not).
    from exhibit.db.migrate import upgrade_to_head

    platform.settings.data_dir.mkdir(parents=True, exist_ok=True)
    await upgrade_to_head(platform.engine, platform.plugins)
    async with platform.system_session() as session:
        force = await session.scalar(select(Force).where(Force.slug == DEMO_FORCE))
        if force is None:
            force = await create_force(
                session,
                slug=DEMO_FORCE,
                name="Demo Constabulary",
                contact_details="Call 101 and quote your reference.",
                actor="demo",
            )
            await session.commit()
        force_id = force.id

    lines = [f"Demo force '{DEMO_FORCE}' is ready. Data folder: {platform.settings.data_dir}", ""]
    async with force_transaction(platform, force_id) as tx:
        for email, name, role in DEMO_USERS:
            password = secrets.token_urlsafe(12)
            user = await tx.session.scalar(select(User).where(User.email == email))
            if user is None:
                user = await create_user(
                    tx.session,
                    force_id,
                    email=email,
                    name=name,
                    role=role,
                    password=password,
                    actor="demo",
                )
            else:
                user.password_hash = hash_password(password)
                await audit.record(
                    tx.session,
                    force_id,
                    actor="demo",
                    action="user.password_reset",
                    object_type="user",
                    object_id=user.id,
                )
            _, token = await create_api_token(tx.session, user, name="demo", actor="demo")
            lines += [
                f"  {role.value:<12} {email}",
                f"  {'':<12} password:  {password}",
                f"  {'':<12} API token: {token}",
            ]
    lines += [
        "",
        f"Open {url}/ in a browser. Try the API with a token:",
        f"  curl -H 'Authorization: Bearer <API token>' {url}/api/v1/force/",
        f"API reference: {url}/schema",
    ]
    return "\n".join(lines)
