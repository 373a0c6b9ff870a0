"""CSRF: every officer form needs the token; the API, tus and witness paths have their own
proof and are left alone."""

import pytest

from exhibit.platform import Platform
from exhibit.settings import Settings
from exhibit.web.csrf import CSRF_COOKIE
from tests.fixtures.officer import browser, form_token, make_user, sign_in


async def test_a_form_posted_without_its_token_is_refused(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        forged = await client.post("/cases", data={"reference": "KENT/1/26", "title": "x"})
        assert forged.status_code == 403
        assert "text/html" in forged.headers["content-type"]
        assert "The form had expired" in forged.text

        wrong = await client.post(
            "/cases", data={"reference": "KENT/1/26", "_csrf_token": "0" * 128}
        )
        assert wrong.status_code == 403

        page = await client.get("/cases")
        done = await client.post(
            "/cases", data={"reference": "KENT/1/26", "_csrf_token": form_token(page.text)}
        )
        assert done.status_code == 200
        assert done.url.path != "/cases"


async def test_signing_in_needs_the_token_too(settings: Settings, platform: Platform) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        response = await client.post(
            "/sign-in", data={"email": officer.email, "password": "correct horse battery"}
        )
        assert response.status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/cases", "/u/a-token/finish", "/uploads", "/uploads/x"])
async def test_api_witness_and_upload_paths_are_not_subject_to_csrf(
    settings: Settings, platform: Platform, path: str
) -> None:
    async with browser(settings) as client:
        response = await client.post(path, json={})
        assert "CSRF" not in response.text
        assert "The form had expired" not in response.text
        assert client.cookies.get(CSRF_COOKIE) is None


async def test_static_files_and_the_health_check_set_no_cookie(
    settings: Settings, platform: Platform
) -> None:
    async with browser(settings) as client:
        page = await client.get("/u/some-token")
        script = next(p for p in page.text.split('"') if p.startswith("/static/dist/citizen"))
        client.cookies.clear()
        for path in ("/healthz", script):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert CSRF_COOKIE not in response.headers.get("set-cookie", ""), path


async def test_the_api_still_answers_401_json_without_a_token(
    settings: Settings, platform: Platform
) -> None:
    async with browser(settings) as client:
        response = await client.get("/api/v1/cases", follow_redirects=False)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["status_code"] == 401
