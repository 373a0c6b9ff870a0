"""CSRF: every officer form needs the token; the API, tus and witness paths have their own
proof and are left alone."""

import msgspec
import pytest

from exhibit.platform import Platform
from exhibit.secrets import SecretBox
from exhibit.settings import Settings
from exhibit.web.csrf import CSRF_COOKIE
from tests.fixtures.officer import HOST, PASSWORD, browser, form_token, make_user, sign_in


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


async def test_a_cookie_signed_under_an_earlier_key_is_replaced_by_the_next_page(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as before:
        await before.get("/sign-in")
        old_cookie = before.cookies.get(CSRF_COOKIE)
    assert old_cookie
    # The operator changed EXHIBIT_SECRET_KEY; the officer's browser kept its cookie.
    changed = msgspec.structs.replace(settings, secret_key=SecretBox.generate_key())
    async with browser(changed) as client:
        client.cookies.set(CSRF_COOKIE, old_cookie, domain=HOST)
        stale = await client.post(
            "/sign-in",
            data={"email": officer.email, "password": PASSWORD, "_csrf_token": old_cookie},
        )
        assert stale.status_code == 403 and "reload" in stale.text
        page = await client.get("/sign-in")  # what the refusal tells the officer to do
        assert CSRF_COOKIE in page.headers.get("set-cookie", "")
        assert client.cookies.get(CSRF_COOKIE) != old_cookie
        signed_in = await sign_in(client, officer.email)
        assert signed_in.url.path == "/cases"
        again = await client.get("/cases")
        assert CSRF_COOKIE not in again.headers.get("set-cookie", "")  # a good one is kept
