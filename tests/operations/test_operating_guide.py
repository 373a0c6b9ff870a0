"""The operator's guide names every metric ``/metrics`` reports and every setting's variable."""

import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from exhibit import settings
from tests.operations.test_metrics_access import BEARER

ROOT = Path(__file__).parents[2]


async def test_every_exhibit_metric_is_in_the_guide(client: AsyncTestClient[Litestar]) -> None:
    await client.get("/healthz")  # so that the request metrics have samples
    scraped = (await client.get("/metrics", headers=BEARER)).text
    guide = (ROOT / "docs" / "operating.md").read_text()
    names = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in text_string_to_metric_families(scraped)
        if family.name.startswith("exhibit_") and not family.name.endswith("_created")
    }
    assert len(names) > 10
    assert not {name for name in names if f"`{name}`" not in guide}


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    read = set(re.findall(r'"(EXHIBIT_[A-Z_]+)"', Path(settings.__file__).read_text()))
    assert "EXHIBIT_METRICS_TOKEN" in read
    assert not {name for name in read if f"| `{name}` |" not in readme}
