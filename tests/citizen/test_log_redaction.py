"""One-time links (upload, set-password, partner invitation) and download reasons never reach
the logs: ``/u/[link]``, ``reason=[reason]``."""

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import httpx

from exhibit.log_redaction import RedactUploadLinks, redact
from exhibit.platform import Platform
from exhibit.secrets import SecretBox
from exhibit.settings import Settings
from tests.fixtures.cli import exhibit_env, exhibit_serving
from tests.fixtures.witness import make_scene


def test_links_are_redacted_in_messages_and_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/u/s3cr3t-Token_x/files?lang=cy", "1.1", 200),
        None,
    )

    assert RedactUploadLinks().filter(record) is True

    assert record.getMessage() == '127.0.0.1:5000 - "GET /u/[link]/files?lang=cy HTTP/1.1" 200'
    assert redact("opened /u/abc and /u/def/receipt") == "opened /u/[link] and /u/[link]/receipt"
    assert redact("/uploads/abc stays") == "/uploads/abc stays"
    assert redact("POST /set-password/Xy_9-z HTTP/1.1") == "POST /set-password/[link] HTTP/1.1"
    assert (
        redact("GET /plugins/share_cps/kent/partner/invite/Ab-c_9?x=1")
        == "GET /plugins/share_cps/kent/partner/invite/[link]?x=1"
    )
    assert (
        redact('"GET /items/7/download?reason=CPS+file+for+J.+Smith&x=1 HTTP/1.1"')
        == '"GET /items/7/download?reason=[reason]&x=1 HTTP/1.1"'
    )
    assert redact("/items/7/download?page=2&reason=x") == "/items/7/download?page=2&reason=[reason]"
    # Signed out, the sign-in page's address carries the download's, reason and all.
    assert (
        redact("GET /sign-in?next=%2Fitems%2F7%2Fdownload%3Freason%3DCPS%2Bfile%2Bfor%2BJ.%2BSmith")
        == "GET /sign-in?next=%2Fitems%2F7%2Fdownload%3Freason%3D[reason]"
    )
    assert (
        redact("/sign-in?next=%2Fitems%2F7%2Fdownload%3Fa%3D1%26reason%3DJ.%2BSmith%26b%3D2&x=1")
        == "/sign-in?next=%2Fitems%2F7%2Fdownload%3Fa%3D1%26reason%3D[reason]%26b%3D2&x=1"
    )


def test_records_of_every_logger_are_redacted_by_the_serve_configuration(tmp_path: Path) -> None:
    # As ``exhibit serve`` does: the app is built, then uvicorn sets its logging up. Building
    # it opens no database, so one engine is enough.
    settings = Settings(
        data_dir=tmp_path,
        database_url="sqlite+aiosqlite:///unused",
        secret_key=SecretBox.generate_key(),
    )
    script = (
        "import logging, logging.config, threading\n"
        "from exhibit.settings import load_settings\n"
        "from exhibit.web.app import create_app\n"
        "from exhibit.web.log_redaction import uvicorn_log_config\n"
        "threads = threading.active_count()\n"
        "create_app(load_settings())\n"
        "assert threading.active_count() == threads, 'the app started a thread'\n"
        "logging.config.dictConfig(uvicorn_log_config())\n"
        "logging.getLogger('litestar').error('failed on %s', '/u/s3cr3t-Token_x/files')\n"
        "logging.getLogger('exhibit.uploads').warning('link /u/An0ther-t0ken opened')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=exhibit_env(settings),
    )
    assert result.returncode == 0, result.stderr

    assert "failed on /u/[link]/files" in result.stderr
    assert "link /u/[link] opened" in result.stderr
    assert "s3cr3t" not in result.stderr + result.stdout
    assert "An0ther" not in result.stderr + result.stdout


def test_records_of_every_other_command_are_redacted() -> None:
    # What the ``exhibit`` group runs before any command (the worker's included).
    script = (
        "import logging\n"
        "from exhibit.cli.main import cli\n"
        "cli.callback()\n"
        "logging.getLogger('exhibit.jobs').warning('job failed: %s', 'sent /u/W0rker-t0ken')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert "job failed: sent /u/[link]" in result.stderr
    assert "W0rker" not in result.stderr + result.stdout


def _serve_and_visit(settings: Settings, paths: list[str], log_path: Path) -> list[int]:
    """Run ``exhibit serve``, GET each path, stop it; its output goes to ``log_path``."""
    with exhibit_serving(settings, log_path) as base:
        return [httpx.get(f"{base}{path}").status_code for path in paths]


async def test_exhibit_serve_logs_requests_without_the_token(
    settings: Settings, platform: Platform, tmp_path: Path
) -> None:
    scene = await make_scene(platform)
    log_path = tmp_path / "serve.log"

    statuses = await asyncio.to_thread(
        _serve_and_visit, settings, [f"/u/{scene.token}", f"/u/{scene.token}/files"], log_path
    )

    assert statuses == [200, 200]
    output = log_path.read_text()
    assert scene.token not in output
    assert '"GET /u/[link] HTTP/1.1" 200' in output
    assert '"GET /u/[link]/files HTTP/1.1" 200' in output
