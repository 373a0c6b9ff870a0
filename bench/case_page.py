"""Benchmark: the officer's case page for a case with 2,000 evidence items (target < 300 ms).

Exhibit runs as in a trial (``exhibit serve``: uvicorn, SQLite and the local store in a
temporary folder) in its own process. A force, an officer, a case with a few requests and
2,000 items in a mix of review states (with tags and exhibit references) are written
straight to the database beforehand. The benchmark signs the officer in through the real
sign-in form and then fetches ``/cases/<id>`` over HTTP: a few warm-up requests, then
``--runs`` measured ones, one at a time. It prints the median, p95 and slowest time to the
last byte of the page, and the page's size.

    uv run python bench/case_page.py                 # 2,000 items, 50 runs
    uv run python bench/case_page.py --items 5000 --runs 20
"""

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from exhibit.accounts.models import Role
from exhibit.accounts.service import create_user
from exhibit.cases.service import open_case
from exhibit.db.base import utcnow
from exhibit.db.migrate import upgrade_to_head
from exhibit.evidence.models import EvidenceItem, ReviewState
from exhibit.forces.models import Force
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.secrets import SecretBox
from exhibit.settings import load_settings
from exhibit.uploads.requests import NewRequest, create_request
from exhibit.web.officer.case_queries import ITEMS_PER_PAGE

EMAIL = "officer@bench.test"
PASSWORD = "correct horse battery staple"
TARGET_MS = 300.0
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=2000, help="evidence items on the case")
    parser.add_argument("--runs", type=int, default=50, help="measured page loads")
    parser.add_argument("--warmup", type=int, default=5, help="page loads before measuring")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="exhibit-bench-case-") as tmp:
        env = {
            **os.environ,
            "EXHIBIT_DATA_DIR": str(Path(tmp) / "exhibit-data"),
            "EXHIBIT_SECRET_KEY": SecretBox.generate_key(),
        }
        case_id = asyncio.run(prepare(env, args.items))
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "exhibit", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, server)
            times, size = measure(base, case_id, args.items, args.warmup, args.runs)
        finally:
            server.terminate()
            server.wait(timeout=30)
    report(times, size, args.items)


async def prepare(env: dict[str, str], items: int) -> int:
    """Migrate a fresh database; add a force, an officer, a case, requests and items."""
    settings = load_settings(env)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    platform = Platform(settings, load_plugins())
    try:
        await upgrade_to_head(platform.engine, platform.plugins)
        async with platform.system_session() as session:
            force = await create_force(session, slug="bench", name="Bench Police", actor="bench")
            await session.commit()
        async with force_transaction(platform, force.id) as tx:
            officer = await create_user(
                tx.session,
                force.id,
                email=EMAIL,
                name="PC Jo Bench",
                role=Role.OFFICER,
                password=PASSWORD,
                actor="bench",
            )
            case = await open_case(
                tx.session,
                force.id,
                reference="BENCH/2000/26",
                title="Disorder, high street",
                officer_id=officer.id,
                actor="bench",
            )
            row = await tx.session.get(Force, force.id)
            assert row is not None
            for n in range(5):
                await create_request(
                    tx.session,
                    platform.secret_box,
                    row,
                    case,
                    NewRequest(
                        recipient_name=f"Witness {n}",
                        channels=("email",),
                        email=f"witness{n}@example.org",
                    ),
                    officer_id=officer.id,
                    actor="bench",
                    public_url="http://127.0.0.1",
                )
            tx.session.add_all(_items(force.id, case.id, items))
        return case.id
    finally:
        await platform.close()


def _items(force_id: int, case_id: int, count: int) -> list[EvidenceItem]:
    states = [ReviewState.PENDING] * 6 + [ReviewState.ACCEPTED] * 3 + [ReviewState.DECLINED]
    now = utcnow()
    made = []
    accepted = 0
    for n in range(count):
        state = states[n % len(states)]
        reference = None
        if state == ReviewState.ACCEPTED:
            accepted += 1
            reference = f"JB/{accepted}"
        made.append(
            EvidenceItem(
                force_id=force_id,
                case_id=case_id,
                storage_backend="local",
                storage_key=f"originals/bench/{n:06d}",
                original_filename=f"VID_2026112{n % 10}_{n:06d}.mp4",
                caption="",
                size=1_000_000 + n * 7919,
                declared_type="video/mp4",
                sniffed_type="video/mp4" if n % 3 else "image/jpeg",
                sha256=f"{n:064x}",
                review_state=state,
                exhibit_reference=reference,
                tags=["cctv", "high street"] if n % 4 == 0 else [],
                sensitive=n % 50 == 0,
                received_at=now - timedelta(seconds=n),
            )
        )
    return made


def measure(base: str, case_id: int, items: int, warmup: int, runs: int) -> tuple[list[float], int]:
    """Sign in, then time whole page loads of the case; check each page lists every item."""
    with httpx.Client(base_url=base, timeout=60, follow_redirects=True) as client:
        form = client.get("/sign-in")
        token = _TOKEN.search(form.text)
        assert token, "no CSRF token on the sign-in page"
        signed_in = client.post(
            "/sign-in",
            data={"email": EMAIL, "password": PASSWORD, "_csrf_token": token.group(1)},
        )
        assert signed_in.url.path != "/sign-in", "sign-in failed"
        times = []
        size = 0
        for n in range(warmup + runs):
            started = time.perf_counter()
            page = client.get(f"/cases/{case_id}")
            elapsed = (time.perf_counter() - started) * 1000
            assert page.status_code == 200, page.status_code
            if n == 0:
                listed = page.text.count('name="item"')
                assert listed == min(items, ITEMS_PER_PAGE), f"the page lists {listed} items"
                assert f"{items:,} items, newest first" in page.text
            size = len(page.content)
            if n >= warmup:
                times.append(elapsed)
    return times, size


def report(times: list[float], size: int, items: int) -> None:
    """Median, p95 and slowest, against the target."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    median = statistics.median(ordered)
    print(f"case page with {items} items, {len(times)} runs, page {size / 1e6:.2f} MB")
    print(f"median {median:.0f} ms, p95 {p95:.0f} ms, slowest {ordered[-1]:.0f} ms")
    verdict = "meets" if p95 < TARGET_MS else "MISSES"
    print(f"{verdict} the target of {TARGET_MS:.0f} ms (p95)")


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"server at {base} did not come up")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
