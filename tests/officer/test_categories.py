"""Force-defined categories with retention periods, managed by the force admin."""

import re

import pytest
from sqlalchemy import select

from exhibit.accounts.models import Role
from exhibit.evidence.categories import MAX_RETENTION_DAYS, CategoryRefused, add_category
from exhibit.evidence.models import Category
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.officer import audit_events, browser, make_user, sign_in, submit
from tests.fixtures.two_factor import make_enrolled_user, sign_in_with_code
from tests.officer.field_errors import assert_refused_by_field


async def test_a_force_admin_defines_categories_and_an_officer_cannot(
    settings: Settings, platform: Platform
) -> None:
    admin = await make_enrolled_user(platform, "kent", Role.FORCE_ADMIN)
    officer = await make_user(platform, "kent", Role.OFFICER)
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)  # admins must use two-factor
        page = await client.get("/admin/categories")
        assert page.status_code == 200
        added = await submit(
            client, "/admin/categories", {"name": "Dashcam", "retention_days": "365"}
        )
        assert "Category Dashcam added." in added.text
        twice = await submit(
            client, "/admin/categories", {"name": "Dashcam", "retention_days": "1"}
        )
        assert "There is already a category called Dashcam" in twice.text
        bad = await submit(client, "/admin/categories", {"name": "CCTV", "retention_days": "x"})
        assert "whole number of days" in bad.text
        async with platform.force_session(admin.force_id) as session:
            category = await session.scalar(select(Category))
        assert category is not None
        changed = await submit(
            client, f"/admin/categories/{category.id}", {"retention_days": "730"}
        )
        assert "Retention of Dashcam changed." in changed.text
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        assert (await client.get("/admin/categories")).status_code == 403
        refused = await submit(client, "/admin/categories", {"name": "X", "retention_days": "5"})
        assert refused.status_code == 403
    async with platform.force_session(admin.force_id) as session:
        categories = list(await session.scalars(select(Category)))
    assert [(c.name, c.retention_days) for c in categories] == [("Dashcam", 730)]
    [created] = await audit_events(platform, admin.force_id, "category.created")
    assert created.actor == f"user:{admin.user_id}"
    [changed_event] = await audit_events(platform, admin.force_id, "category.retention_changed")
    assert changed_event.details == {"name": "Dashcam", "from_days": 365, "to_days": 730}


async def test_a_refused_category_keeps_what_was_typed_and_names_ignore_capitals(
    settings: Settings, platform: Platform
) -> None:
    admin = await make_enrolled_user(platform, "kent", Role.FORCE_ADMIN)
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        await client.get("/admin/categories")
        bad_days = await submit(
            client, "/admin/categories", {"name": "Body-worn", "retention_days": "ten"}
        )
        assert bad_days.status_code == 400
        assert "govuk-error-summary" in bad_days.text
        assert 'href="#retention_days"' in bad_days.text
        assert "Retention is a whole number of days" in bad_days.text
        assert 'value="Body-worn"' in bad_days.text
        assert 'value="ten"' in bad_days.text

        await submit(client, "/admin/categories", {"name": "CCTV", "retention_days": "30"})
        twice = await submit(client, "/admin/categories", {"name": "cctv", "retention_days": "5"})
        assert twice.status_code == 400
        assert 'href="#name"' in twice.text
        assert "There is already a category called CCTV" in twice.text
        assert 'value="cctv"' in twice.text
        assert 'value="5"' in twice.text
    # The rule is the domain's, not only the form's.
    with pytest.raises(CategoryRefused, match="already a category called CCTV"):
        async with force_transaction(platform, admin.force_id) as tx:
            await add_category(
                tx.session, admin.force_id, name=" Cctv ", retention_days=9, actor="test"
            )
    async with platform.force_session(admin.force_id) as session:
        assert list(await session.scalars(select(Category.name))) == ["CCTV"]


async def test_a_refused_retention_change_comes_back_by_its_field_and_changes_nothing(
    settings: Settings, platform: Platform
) -> None:
    """The page again (400), the summary leading to that category's field, which keeps what
    was typed while the other categories show their own periods."""
    admin = await make_enrolled_user(platform, "kent", Role.FORCE_ADMIN)
    async with force_transaction(platform, admin.force_id) as tx:
        for name, days in (("CCTV", 30), ("Dashcam", 365)):
            await add_category(
                tx.session, admin.force_id, name=name, retention_days=days, actor="test"
            )
    async with platform.force_session(admin.force_id) as session:
        cctv, dashcam = await session.scalars(select(Category).order_by(Category.name))
    field = f"retention-{dashcam.id}"
    async with browser(settings) as client:
        await sign_in_with_code(client, admin)
        await client.get("/admin/categories")
        url = f"/admin/categories/{dashcam.id}"
        words = await submit(client, url, {"retention_days": "a year"})
        assert_refused_by_field(words, field, "Retention is a whole number of days", "a year")
        assert re.search(rf'id="retention-{cctv.id}"[^>]*value="30"', words.text)
        none = await submit(client, url, {"retention_days": "0"})
        assert_refused_by_field(none, field, f"Retention is 1 to {MAX_RETENTION_DAYS} days", "0")
    async with platform.force_session(admin.force_id) as session:
        kept = list(await session.scalars(select(Category.retention_days).order_by(Category.name)))
    assert kept == [30, 365]
    assert await audit_events(platform, admin.force_id, "category.retention_changed") == []
