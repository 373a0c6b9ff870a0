"""The admin page says what the latest check of the evidence store found; an item that check
found missing or changed carries a warning on its page."""

from exhibit.accounts.models import Role
from exhibit.evidence.fixity import Mode, check_force
from exhibit.evidence.models import EvidenceItem
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.evidence.arrivals import arrived, png
from tests.fixtures.officer import browser, sign_in
from tests.fixtures.two_factor import make_enrolled_user, sign_in_with_code
from tests.fixtures.witness import make_scene

OFFICER = "officer@kent.test"


async def check(platform: Platform, force_id: int) -> None:
    """The quick check, as ``exhibit evidence verify --quick`` runs it."""
    await check_force(platform, force_id, Mode.QUICK, actor="cli", on_finding=lambda _: None)


async def test_the_admin_page_says_a_clean_check_found_no_problem(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    admin = await make_enrolled_user(platform, "kent", Role.FORCE_ADMIN, name="Ada Admin")
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        never = await client.get("/admin")
        await check(platform, scene.force_id)
        checked = await client.get("/admin")
        await sign_in(client, OFFICER)
        item_page = await client.get(f"/items/{item_id}")
    assert 'data-fixity="never"' in never.text
    assert 'data-fixity="ok"' in checked.text
    assert "Evidence store last checked" in checked.text
    assert "(quick): no problem found." in checked.text
    assert 'href="/audit?action=evidence.fixity_checked"' in checked.text
    assert "data-sha256" in item_page.text  # the item page itself, signed in
    assert "data-fixity-warning" not in item_page.text


async def test_a_missing_item_is_counted_on_the_admin_page_and_warned_of_on_its_page(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    lost = await arrived(platform, scene, png())
    kept = await arrived(platform, scene, png(colour=(0, 0, 200)))
    async with platform.force_session(scene.force_id) as session:
        item = await session.get(EvidenceItem, lost)
        assert item is not None
        key = item.storage_key
    (settings.storage_dir / "kent" / "objects" / key).unlink()  # a bad restore
    await check(platform, scene.force_id)
    admin = await make_enrolled_user(platform, "kent", Role.FORCE_ADMIN, name="Ada Admin")
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        admin_page = await client.get("/admin")
        await sign_in(client, OFFICER)
        lost_page = await client.get(f"/items/{lost}")
        kept_page = await client.get(f"/items/{kept}")
    assert 'data-fixity="problems"' in admin_page.text
    assert "(quick): 1 missing." in admin_page.text
    assert "data-fixity-warning" in lost_page.text
    assert "found that the original is missing" in lost_page.text
    assert "data-fixity-warning" not in kept_page.text


async def test_another_forces_check_is_not_shown(settings: Settings, platform: Platform) -> None:
    scene = await make_scene(platform)
    await arrived(platform, scene, png())
    await check(platform, scene.force_id)
    essex = await make_enrolled_user(platform, "essex", Role.FORCE_ADMIN)
    async with browser(settings) as client:
        await sign_in_with_code(client, essex)
        page = await client.get("/admin")
    assert 'data-fixity="never"' in page.text
