"""An item marked sensitive after it was shared: its live shares can no longer be opened by
their recipients, and the officer who marks it is told which, and what to do, as the share's
own page says."""

import html

from litestar import Litestar
from litestar.testing import AsyncTestClient

from exhibit.platform import Platform
from tests.fixtures.officer import sign_in, submit
from tests.share_cps.helpers import api_headers, share_by_api
from tests.share_cps.world import make_world


async def test_marking_a_shared_item_sensitive_names_its_live_shares(
    cps_platform: Platform, client: AsyncTestClient[Litestar]
) -> None:
    world = await make_world(cps_platform)
    officer = await api_headers(cps_platform, world.scene.force_id, "o@kent.test")
    share_id = await share_by_api(client, world, officer)
    await sign_in(client, "officer@kent.test")
    await client.get(f"/items/{world.redacted.id}")

    marked = await submit(
        client,
        f"/items/{world.redacted.id}/sensitive",
        {"sensitive": "yes", "reason": "Shows a protected witness"},
    )
    other = await submit(
        client,
        f"/items/{world.disclosure.id}/sensitive",
        {"sensitive": "yes", "reason": "Shows a protected witness"},
    )

    assert marked.status_code == 200
    assert (
        f"It is in live share {share_id}: its recipients can no longer open it. "
        "Revoke it and share the other exhibits again." in html.unescape(marked.text)
    )
    assert "Marked sensitive: do not disclose." in other.text
    assert "live share" not in other.text  # never shared
    # The share's own page says so too, naming the exhibit withheld.
    shown = html.unescape((await client.get(f"/shares/{share_id}")).text)
    assert "its recipient can no longer open this share" in shown
    assert 'data-withheld title="PT/1 is marked sensitive / do-not-disclose' in shown
