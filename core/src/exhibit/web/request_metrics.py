"""What this app process has served: requests by route and status class, and how long they took.

Kept in the process's memory and labelled as such: each app process counts only its own
requests, from when it started, so Prometheus scrapes every process at its own address (its
``instance`` label tells them apart). Routes are labelled by their template
(``/cases/{case_id}``), never by the address asked for, which may hold an upload link's
token and would make a series per case. Requests that match no route (routing's own 404 and
405) reach no route's middleware and are not counted.
"""

import time
from typing import cast

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

# From a health probe's milliseconds to a large streamed download's minutes.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class RequestMetrics:
    """One app process's request counts and durations, with the process's own figures
    (memory, CPU, open files, start time) in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self._requests = Counter(
            "exhibit_http_requests",
            "Requests this app process answered since it started, by route and status class",
            ("route", "method", "status_class"),
            registry=self.registry,
        )
        self._durations = Histogram(
            "exhibit_http_request_duration_seconds",
            "Time this app process took to answer, until the last byte was sent, by route",
            ("route", "method"),
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and how long it took."""
        self._requests.labels(route, method, f"{status // 100}xx").inc()
        self._durations.labels(route, method).observe(seconds)


class RequestMetricsMiddleware(ASGIMiddleware):
    """Times every routed HTTP request and records it in ``RequestMetrics``."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, metrics: RequestMetrics) -> None:
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Pass the request on, noting the answer's status, then record it."""
        started = time.perf_counter()
        status = 500  # what the client gets if an error escapes before an answer starts

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, noting_status)
        finally:
            http = cast("HTTPScope", scope)  # ``scopes`` lets only HTTP requests in
            route = http.get("path_template") or "unknown"
            self.metrics.observe(route, http["method"], status, time.perf_counter() - started)
