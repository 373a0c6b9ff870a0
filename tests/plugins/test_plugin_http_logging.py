"""A plugin's HTTP requests stay out of the log: their URL may be the credential (a webhook)."""

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from click.testing import CliRunner

from exhibit.cli.main import cli

SECRET_PATH = "/webhookb2/never-log-this-token"


class _Webhook(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}"
    server.shutdown()
    server.server_close()


def test_the_cli_logs_no_request_url_a_plugin_sends(
    webhook: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # Every command (serve and worker included) sets logging up in the group's callback.
    result = CliRunner().invoke(cli, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    assert httpx.get(webhook).status_code == 204
    assert "never-log-this-token" not in caplog.text
