"""The real ``exhibit serve`` answers a scrape over HTTP with the token from its environment."""

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.cli import exhibit_serving
from tests.fixtures.witness import make_scene
from tests.operations.conftest import METRICS_TOKEN


async def test_a_served_process_answers_a_scrape(
    settings: Settings, platform: Platform, tmp_path: Path
) -> None:
    await make_scene(platform, "kent")
    with exhibit_serving(
        settings, tmp_path / "serve.log", EXHIBIT_METRICS_TOKEN=METRICS_TOKEN
    ) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            refused = await client.get("/metrics")
            scraped = await client.get(
                "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
            ready = await client.get("/readyz")
    assert refused.status_code == 401
    assert ready.status_code == 200
    assert scraped.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
    [written] = families["exhibit_audit_events"].samples
    assert (written.labels, written.value > 1) == ({"force": "kent"}, True)
    assert families["process_resident_memory_bytes"].samples[0].value > 0
    assert METRICS_TOKEN not in (tmp_path / "serve.log").read_text()
