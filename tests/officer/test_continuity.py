"""An item's continuity history: every step, by whom, printable and as CSV."""

import csv
import io
import re

from exhibit.accounts.models import Role
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.evidence.arrivals import arrived, png
from tests.fixtures.officer import browser, make_user, sign_in, submit
from tests.fixtures.witness import make_scene

OFFICER = "officer@kent.test"


async def test_the_history_lists_each_step_and_downloads_as_csv(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    data = png()
    item_id = await arrived(platform, scene, data)
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{item_id}")
        await client.get(f"/items/{item_id}/preview")
        await client.get(f"/items/{item_id}/download", params={"reason": "Court bundle"})
        formula = '=HYPERLINK("http://x.test","open")'
        await client.get(f"/items/{item_id}/download", params={"reason": formula})
        await submit(client, f"/items/{item_id}/tags", {"tags": "van"})
        await submit(client, f"/items/{item_id}/accept", {})
        page = await client.get(f"/items/{item_id}/continuity")
        assert page.status_code == 200
        text = page.text
        for action in (
            "evidence.received",
            "item.viewed",
            "item.previewed",
            "item.downloaded",
            "item.tagged",
            "item.accepted",
        ):
            assert f'data-action="{action}"' in text, action
        assert text.index('data-action="evidence.received"') < text.index(
            'data-action="item.accepted"'
        )
        assert "Sam Witness (witness, request" in text  # received from whom
        assert "PC Test (officer)" in text
        assert "Court bundle" in text
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+officer[^"]*\.css[^"]*)"', text)
        assert stylesheet is not None
        css = await client.get(stylesheet.group(1))
        assert "@media print" in css.text
        assert "page-break-inside:avoid" in css.text.replace(" ", "")

        got = await client.get(f"/items/{item_id}/continuity.csv")
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    actions = [row["action"] for row in rows]
    assert actions[0] == "evidence.received"
    for action in ("item.viewed", "item.downloaded", "item.accepted", "item.continuity_viewed"):
        assert action in actions
    # A reason typed as a formula stays text when the CSV is opened in a spreadsheet.
    assert "'" + formula in [row["reason"] for row in rows]
    received = rows[0]
    assert "Sam Witness" in received["by"]
    assert "sha256=" in received["details"]
    accepted = next(row for row in rows if row["action"] == "item.accepted")
    assert "exhibit_reference=T/1" in accepted["details"]
    assert accepted["actor"] == f"user:{scene.officer_id}"
    assert accepted["seq"].isdigit()
    assert len(accepted["hash"]) == 64


async def test_another_force_cannot_read_the_history(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await arrived(platform, scene, png())
    stranger = await make_user(platform, "essex", Role.AUDITOR)
    async with browser(settings) as client:
        await sign_in(client, stranger.email)
        assert (await client.get(f"/items/{item_id}/continuity")).status_code == 404
        assert (await client.get(f"/items/{item_id}/continuity.csv")).status_code == 404
