"""``exhibit demo`` on an empty data folder: it sets up, prints working credentials, serves."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DemoProcess:
    """``python -m exhibit demo`` in the background, with its output collected as it comes."""

    def __init__(self, data_dir: Path, port: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXHIBIT_")}
        env.update(
            EXHIBIT_DATA_DIR=str(data_dir),
            EXHIBIT_PUBLIC_URL=f"http://127.0.0.1:{port}",
            PYTHONUNBUFFERED="1",
        )
        self.base = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "exhibit", "demo", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"exhibit demo exited early:\n{self.output}"
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"exhibit demo was not healthy within 60 s:\n{self.output}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def running_demo(data_dir: Path, port: int) -> Iterator[DemoProcess]:
    demo = DemoProcess(data_dir, port)
    try:
        demo.wait_until_healthy()
        yield demo
    finally:
        demo.stop()


def _signed_in_force(demo: DemoProcess) -> list[str]:
    tokens = re.findall(r"API token: (exh_\S+)", demo.output)
    assert len(tokens) == 3, demo.output  # officer, supervisor, admin
    for token in tokens:
        response = httpx.get(
            f"{demo.base}/api/v1/force/", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        assert response.json()["slug"] == "demo"
    return tokens


def test_demo_serves_a_ready_force_on_a_fresh_data_folder(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "exhibit-data", _free_port()
    with running_demo(data_dir, port) as demo:
        assert "Sign in to Exhibit" in httpx.get(f"{demo.base}/", follow_redirects=True).text
        first_tokens = _signed_in_force(demo)
        assert re.search(r"officer@demo\.exhibit\.invalid\s+password:\s+\S{12,}", demo.output)
    assert (data_dir / "exhibit.sqlite3").exists()
    assert (data_dir / "secret.key").stat().st_mode & 0o077 == 0

    # Again on the same folder: the same force, with fresh credentials that work.
    with running_demo(data_dir, port) as demo:
        second_tokens = _signed_in_force(demo)
    assert set(second_tokens).isdisjoint(first_tokens)
