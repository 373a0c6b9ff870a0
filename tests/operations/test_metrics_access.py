"""Who may read ``/metrics``: only a caller holding the operator's token, and only when the
operator set one; the answer carries no session, no cookie, and is never cached."""

from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from exhibit.settings import Settings, load_settings
from exhibit.web.app import create_app
from tests.operations.conftest import METRICS_TOKEN

BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


async def test_without_a_token_set_there_is_no_metrics_endpoint(settings: Settings) -> None:
    assert settings.metrics_token is None
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/metrics", headers=BEARER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")  # no page, no metric
    assert "exhibit_" not in response.text


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Bearer {METRICS_TOKEN[:-1]}",
        f"Bearer {METRICS_TOKEN}x",
        f"Basic {METRICS_TOKEN}",
        f"Token {METRICS_TOKEN}",
        "Bearer caf\u00e9".encode(),  # a header outside ASCII is refused, not a 500
    ],
)
async def test_a_missing_or_wrong_token_is_refused(
    client: AsyncTestClient[Litestar], authorization: str | bytes | None
) -> None:
    value = authorization.encode() if isinstance(authorization, str) else authorization
    headers = {} if value is None else {b"Authorization": value}
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["cache-control"] == "no-store"
    assert "exhibit_" not in response.text


async def test_the_token_opens_the_metrics_uncached_and_without_cookies(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/metrics", headers={"Authorization": f"bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"exhibit_jobs", "exhibit_audit_events", "exhibit_http_requests"} <= names


async def test_the_probes_set_no_cookie_either(client: AsyncTestClient[Litestar]) -> None:
    for path in ("/healthz", "/readyz"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "set-cookie" not in response.headers, path


async def test_metrics_and_readiness_are_not_in_the_api_schema(
    client: AsyncTestClient[Litestar],
) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert not {"/metrics", "/readyz", "/healthz"} & set(paths)


async def test_requests_are_counted_by_route_template_and_status_class(
    client: AsyncTestClient[Litestar],
) -> None:
    await client.get("/healthz")
    await client.get("/healthz")
    await client.get("/api/v1/cases/123")  # no token: 401, counted under its template
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(
            (await client.get("/metrics", headers=BEARER)).text
        )
        for s in family.samples
    }
    ok = (("method", "GET"), ("route", "/healthz"), ("status_class", "2xx"))
    assert samples[("exhibit_http_requests_total", ok)] == 2
    case_routes = [
        labels
        for (name, labels), value in samples.items()
        if name == "exhibit_http_requests_total" and dict(labels)["route"].startswith("/api/v1/")
    ]
    assert case_routes == [
        (("method", "GET"), ("route", "/api/v1/cases/{case_id}"), ("status_class", "4xx"))
    ]
    timed = (("le", "+Inf"), ("method", "GET"), ("route", "/healthz"))
    assert samples[("exhibit_http_request_duration_seconds_bucket", timed)] == 2


def test_the_token_setting_is_read_and_a_weak_one_refused(tmp_path: Path) -> None:
    def read(token: str | None) -> Settings:
        env = {"EXHIBIT_DATA_DIR": str(tmp_path)}
        if token is not None:
            env["EXHIBIT_METRICS_TOKEN"] = token
        return load_settings(env)

    assert read(None).metrics_token is None
    assert read(" ").metrics_token is None
    assert read(METRICS_TOKEN).metrics_token == METRICS_TOKEN
    for weak in ("short", "x" * 31, "caf\u00e9" * 10):
        with pytest.raises(ValueError, match="EXHIBIT_METRICS_TOKEN") as refused:
            read(weak)
        assert weak not in str(refused.value)
