"""``GET /metrics``: what an operator alerts on, in the Prometheus text format.

The endpoint exists only when the operator sets ``EXHIBIT_METRICS_TOKEN`` (404 otherwise),
and answers only a request carrying ``Authorization: Bearer <that token>`` (401 otherwise):
the figures reveal how busy each force is. It uses no session, sets no cookie, is left out
of the OpenAPI document and is never cached.

Shared figures are read from the database at each scrape (``exhibit.operations.figures``),
so every app process gives the same answer for them; request figures are this process's own
(``exhibit.web.request_metrics``).
"""

import hmac
from collections.abc import Iterator
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_401_UNAUTHORIZED,
    HTTP_404_NOT_FOUND,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy.exc import SQLAlchemyError

from exhibit.db.base import utcnow
from exhibit.operations.figures import Figure, read_figures
from exhibit.platform import Platform
from exhibit.web.request_metrics import RequestMetrics

NO_STORE = {"Cache-Control": "no-store"}
# The classic text format (0.0.4) that every Prometheus version and scraper reads; Litestar
# adds "; charset=utf-8" to a text type.
CONTENT_TYPE = "text/plain; version=0.0.4"


def metrics_endpoint(request_metrics: RequestMetrics) -> HTTPRouteHandler:
    """The ``GET /metrics`` route, reporting ``request_metrics`` beside the shared figures."""

    @get("/metrics", include_in_schema=False)
    async def metrics(
        request: Request[Any, Any, Any], platform: NamedDependency[Platform]
    ) -> Response[bytes]:
        """The figures in Prometheus's text format, to a caller holding the metrics token."""
        token = platform.settings.metrics_token
        if token is None:
            return _plain(HTTP_404_NOT_FOUND, "Not Found")
        if not bearer_matches(request.headers.get("Authorization"), token):
            return _plain(
                HTTP_401_UNAUTHORIZED,
                "a valid metrics token is required",
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        try:
            async with platform.system_session() as session:
                figures = await read_figures(session, utcnow())
        except (SQLAlchemyError, OSError):
            return _plain(HTTP_503_SERVICE_UNAVAILABLE, "database unavailable")
        return Response(
            generate_latest(_Scrape(figures, request_metrics.registry)),
            status_code=HTTP_200_OK,
            media_type=CONTENT_TYPE,
            headers=NO_STORE,
        )

    return metrics


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        text.encode(),
        status_code=status,
        media_type="text/plain",
        headers=NO_STORE | (headers or {}),
    )


def bearer_matches(authorization: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header is ``Bearer <token>``, compared in constant time."""
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


class _Scrape:
    """What one scrape reports: the figures just read, then the process's own metrics."""

    def __init__(self, figures: list[Figure], process: CollectorRegistry) -> None:
        self._figures = figures
        self._process = process

    def collect(self) -> Iterator[Metric]:
        """One family per figure, then each of the process's families."""
        for figure in self._figures:
            family_type = CounterMetricFamily if figure.type == "counter" else GaugeMetricFamily
            family = family_type(figure.name, figure.documentation, labels=figure.labels)
            for labels, value in figure.samples:
                family.add_metric(labels, value)
            yield family
        yield from self._process.collect()
