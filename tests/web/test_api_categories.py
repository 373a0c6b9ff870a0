"""An integrator finds the force's evidence categories, to set an item's ``category_id``."""

from exhibit.accounts.models import Role
from exhibit.evidence.categories import add_category
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.officer import browser
from tests.fixtures.witness import make_scene
from tests.web.test_api import _auth, _token


async def test_the_forces_categories_are_listed_by_name_and_only_its_own(
    settings: Settings, platform: Platform
) -> None:
    kent = await make_scene(platform, "kent")
    essex = await make_scene(platform, "essex")
    for force_id, name, days in [
        (kent.force_id, "Dashcam", 400),
        (kent.force_id, "CCTV", 30),
        (essex.force_id, "Doorbell", 90),
    ]:
        async with force_transaction(platform, force_id) as tx:
            await add_category(tx.session, force_id, name=name, retention_days=days, actor="test")
    token = await _token(platform, "kent", Role.SUPERVISOR)

    async with browser(settings) as client:
        listed = await client.get("/api/v1/force/categories", headers=_auth(token))
        unsigned = await client.get("/api/v1/force/categories")

    assert listed.status_code == 200, listed.text
    assert [(c["name"], c["retention_days"]) for c in listed.json()] == [
        ("CCTV", 30),
        ("Dashcam", 400),
    ]
    assert unsigned.status_code == 401
