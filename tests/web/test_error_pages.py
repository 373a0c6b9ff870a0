"""Errors as people and programs expect them, and the security headers on every answer.

Browsers get a page: the officer layout's error page, or the citizen problem page under
``/u/`` in the witness's language. The API, the tus server and the schema keep JSON.
Every answer, whatever made it (a route, an exception handler, routing itself, the static
files), carries the headers of ``exhibit.web.security``; a route's own header wins.
"""

import logging
import re

import httpx
from litestar import Litestar, get
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient, TestClient

from exhibit.platform import Platform
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from exhibit.web.errors import EXCEPTION_HANDLERS
from exhibit.web.security import SECURITY_HEADERS
from tests.fixtures.officer import HOST, browser, sign_in, submit
from tests.fixtures.witness import make_scene

OFFICER = "officer@kent.test"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _missing_headers(response: httpx.Response) -> list[str]:
    return [h.name for h in SECURITY_HEADERS if h.name.lower() not in response.headers]


def _officer_page(response: httpx.Response, status: int, title: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert f'<h1 class="govuk-heading-l">{title}</h1>' in response.text
    assert "officer.css" in response.text
    assert _missing_headers(response) == []


async def test_officer_addresses_answer_errors_with_the_error_page(
    settings: Settings, platform: Platform
) -> None:
    await make_scene(platform)
    async with browser(settings) as client:
        _officer_page(await client.get("/nonexistent"), 404, "Page not found")
        await sign_in(client, OFFICER)
        _officer_page(await client.get("/nonexistent"), 404, "Page not found")
        _officer_page(await client.get("/cases/abc"), 404, "Page not found")
        bad_page = await client.get("/cases/1?page=0")
        _officer_page(bad_page, 400, "There is a problem with this address or form")
        assert "Check the address" in bad_page.text
        sign_out = await client.get("/sign-out")
        _officer_page(sign_out, 405, "You cannot do that at this address")
        assert "POST" in sign_out.headers["allow"]


async def test_programs_keep_json_errors(settings: Settings) -> None:
    async with browser(settings) as client:
        for path in ("/api/v1/nonexistent", "/api/v1/cases/abc"):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert response.json()["status_code"] == 404, path
            assert _missing_headers(response) == [], path
        wrong_method = await client.request("PUT", "/uploads/")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["status_code"] == 405
        assert _missing_headers(wrong_method) == []


async def test_witness_addresses_answer_errors_with_the_problem_page(settings: Settings) -> None:
    async with browser(settings) as client:
        unknown = await client.get("/u/some-token/nothing-here")
        assert unknown.status_code == 404
        assert "This link does not work" in unknown.text
        assert "citizen.css" in unknown.text
        assert _missing_headers(unknown) == []

        welsh = await client.delete("/u/some-token/receipt?lang=cy")
        assert welsh.status_code == 405
        assert '<html lang="cy"' in welsh.text
        assert "Mae&#39;n ddrwg gennym, mae problem gyda&#39;r gwasanaeth" in welsh.text
        assert 'href="/u/some-token/receipt?lang=en"' in welsh.text
        assert welsh.headers.get_list("cache-control") == ["no-store"]
        assert _missing_headers(welsh) == []


async def test_every_answer_carries_the_security_headers(settings: Settings) -> None:
    """Every route, called with each method (most are errors: sign in, 404, 405, 412...)."""
    app = create_app(settings, load_builtin_plugins())
    paths = sorted({_filled(route.path) for route in app.routes if isinstance(route, HTTPRoute)})
    assert len(paths) > 40
    paths += ["/static/dist/citizen.css", "/static/nothing.css", "/nonexistent"]
    problems = []
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        for path in paths:
            for method in METHODS:
                response = await client.request(method, path, follow_redirects=False)
                if missing := _missing_headers(response):
                    problems.append(f"{method} {path} ({response.status_code}): no {missing}")
    assert problems == []


async def test_no_page_or_api_answer_may_be_kept_by_a_cache(
    settings: Settings, platform: Platform
) -> None:
    """Officer pages show witnesses, statements, upload links and new API tokens: a browser
    must not keep them for the back button after sign-out, nor a shared proxy at all."""
    scene = await make_scene(platform)
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        answers = [
            await client.get(path)
            for path in ("/cases", f"/cases/{scene.case_id}", "/outbox", "/account/tokens")
        ]
        answers.append(await submit(client, "/account/tokens", {"name": "laptop"}))
        answers.append(await client.get("/sign-in", follow_redirects=False))
        answers.append(await client.get("/api/v1/cases"))
        for answer in answers:
            assert answer.headers.get_list("cache-control") == ["no-store"], answer.url
        static = await client.get("/static/dist/citizen.css")
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("cache-control", "")


async def test_answers_over_https_tell_the_browser_to_keep_to_https(settings: Settings) -> None:
    async with browser(settings, "https://exhibit.example.police.uk") as client:
        for path in ("/sign-in", "/healthz", "/u/not-a-link", "/static/dist/citizen.css"):
            answer = await client.get(path, follow_redirects=False)
            assert answer.headers["strict-transport-security"] == "max-age=31536000", path
    async with browser(settings) as client:  # plain HTTP (a trial): a browser would ignore it
        assert "strict-transport-security" not in (await client.get("/sign-in")).headers


def _filled(path: str) -> str:
    """``path`` with each parameter filled: a number for integers, a word for the rest."""
    return re.sub(r"\{[a-z_]+(:[a-z]+)?\}", lambda m: "1" if m.group(1) == ":int" else "x", path)


class _Collected(logging.Handler):
    """Records as they reach a logger (Litestar's logging set-up replaces the root's handlers,
    pytest's capture included)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_failure_of_ours_is_logged_with_its_traceback() -> None:
    @get("/api/boom")
    async def boom() -> None:
        raise RuntimeError("the disk caught fire")

    app = Litestar([boom], exception_handlers=EXCEPTION_HANDLERS)
    collected, logger = _Collected(), logging.getLogger("exhibit.web.errors")
    logger.addHandler(collected)
    try:
        with TestClient(app) as client:
            failed = client.get("/api/boom")
            missing = client.get("/api/nothing-here")  # an error of the caller's: not logged
    finally:
        logger.removeHandler(collected)

    assert (failed.status_code, missing.status_code) == (500, 404)
    assert "caught fire" not in failed.text  # no details to the caller
    (record,) = collected.records
    assert record.getMessage() == "GET /api/boom failed"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "the disk caught fire"
