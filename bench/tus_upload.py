"""Benchmark: Exhibit's tus server next to the official Node tus server, same client, same file.

Exhibit runs as in a trial (``exhibit serve``: uvicorn with uvloop and httptools, SQLite and
the local store in a temporary folder) in its own process; the peer is ``@tus/server`` with
``@tus/file-store`` (bench/node-tus, installed with ``npm ci`` on first use). Both receive
the same file from tuspy in the same chunk size, in alternating order for a few rounds
(the machine's load drifts; ratios within a round are what count). Each server's memory is
sampled from /proc while it receives (peak RSS), and its high-water mark (VmHWM) is read at
the end.

Exhibit's figure includes what Exhibit does that the peer does not: the token check and the
lease in one committed write, the offset and the lease's release in another, an fsync of the
data before each reply, the SHA-256 of every byte as it is stored, and for the last chunk the
evidence item (the witness's last chunk waits for that). Each server's CPU time per MiB
received is printed too: on a shared machine it moves less than the throughput.

The chunk size is the one the citizen page sends to a force on the local store (32 MiB,
``exhibit.storage.capabilities.DEFAULT_UPLOAD_CHUNK``) unless ``--chunk-mib`` says otherwise.

    uv run python bench/tus_upload.py                  # 2 GiB in the page's chunks, 3 rounds
    uv run python bench/tus_upload.py --chunk-mib 8 --size-mib 1024 --rounds 2
    uv run python bench/tus_upload.py --size-mib 512 --rounds 1 --skip-node
"""

import argparse
import asyncio
import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from tusclient.client import TusClient

from exhibit.cases.service import open_case
from exhibit.db.migrate import upgrade_to_head
from exhibit.forces.models import Force
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.secrets import SecretBox
from exhibit.settings import load_settings
from exhibit.storage.capabilities import DEFAULT_UPLOAD_CHUNK
from exhibit.uploads.requests import NewRequest, create_request

MiB = 1024 * 1024
NODE_DIR = Path(__file__).parent / "node-tus"
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mib", type=int, default=2048, help="file size (MiB)")
    parser.add_argument(
        "--chunk-mib",
        type=int,
        default=DEFAULT_UPLOAD_CHUNK // MiB,
        help="tus chunk size (MiB; default: what the citizen page sends)",
    )
    parser.add_argument("--warmup-mib", type=int, default=256, help="warm-up upload (MiB)")
    parser.add_argument("--rounds", type=int, default=3, help="measured uploads per server")
    parser.add_argument("--skip-node", action="store_true", help="measure Exhibit only")
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the files")
    args = parser.parse_args()
    size, chunk = args.size_mib * MiB, args.chunk_mib * MiB

    workdir = Path(tempfile.mkdtemp(prefix="exhibit-bench-", dir=args.workdir))
    peers: list[Peer] = []
    try:
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"writing a {args.size_mib} MiB source file in {workdir} (load {load}) ...", flush=True
        )
        source = workdir / "source.mp4"
        expected = make_source(source, size)
        warmup = workdir / "warmup.mp4"
        make_source(warmup, args.warmup_mib * MiB)
        peers = start_peers(workdir, size, skip_node=args.skip_node)
        for peer in peers:
            peer.upload(warmup, chunk, "warm-up")
            peer.clear_store()
        for round_ in range(args.rounds):
            for peer in peers if round_ % 2 == 0 else peers[::-1]:
                peer.results.append(peer.upload(source, chunk, f"round {round_ + 1}"))
                if peer is peers[0] and not stored_hash_matches(workdir / "exhibit-data", expected):
                    raise SystemExit("Exhibit's stored SHA-256 differs from the source's")
                peer.clear_store()
        print("Exhibit's evidence items carry the source's SHA-256: yes")
        report(peers)
    finally:
        for peer in peers:
            peer.stop()
        shutil.rmtree(workdir, ignore_errors=True)


class Peer:
    """A tus server in its own process, and what a client needs to reach it."""

    def __init__(
        self, name: str, command: list[str], env: dict[str, str], url: str, headers: dict[str, str]
    ) -> None:
        self.name, self.url, self.headers = name, url, headers
        self.store: Path | None = None
        self.results: list[dict[str, float]] = []
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=NODE_DIR
        )
        wait_until_up(url, self.process)

    def upload(self, source: Path, chunk: int, label: str) -> dict[str, float]:
        """Upload ``source`` with tuspy, sampling the server's memory; print the figures."""
        sampler = MemorySampler(self.process.pid)
        sampler.start()
        cpu_before = cpu_seconds(self.process.pid)
        client = TusClient(self.url, headers=self.headers)
        uploader = client.uploader(
            file_path=str(source), chunk_size=chunk, metadata={"filename": source.name}
        )
        started = time.perf_counter()
        uploader.upload()
        seconds = time.perf_counter() - started
        peak = sampler.stop()
        cpu = cpu_seconds(self.process.pid) - cpu_before
        # Until the bytes are on disk: Exhibit fsyncs before each reply, the peer leaves the
        # writing back to the kernel. Nothing else of ours is waiting (see clear_store).
        os.sync()
        on_disk = time.perf_counter() - started
        size = source.stat().st_size / MiB
        figures = {
            "mib_s": size / seconds,
            "disk_mib_s": size / on_disk,
            "peak_rss_mib": peak / 1024,
            "cpu_ms_per_mib": 1000 * cpu / size,
        }
        print(
            f"  {self.name:12} {label:8} {size:5.0f} MiB in {seconds:6.2f} s ="
            f" {figures['mib_s']:4.0f} MiB/s (on disk after {on_disk:6.2f} s);"
            f" CPU {figures['cpu_ms_per_mib']:4.1f} ms/MiB;"
            f" RSS {sampler.baseline / 1024:4.0f} MiB before,"
            f" peak {figures['peak_rss_mib']:4.0f} MiB while receiving",
            flush=True,
        )
        return figures

    def clear_store(self) -> None:
        """Remove received files so the disk does not fill up, and flush what is pending.

        Each upload then starts from the same state: nothing received before waits to be
        written back (left alone, one server's writeback would land on the next upload).
        """
        if self.store is not None:
            for path in self.store.rglob("*"):
                if path.is_file():
                    path.unlink()
        os.sync()

    def vm_hwm_mib(self) -> float:
        """The most memory the process has held at once."""
        return status_kib(self.process.pid, "VmHWM") / 1024

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_peers(workdir: Path, size: int, *, skip_node: bool) -> list[Peer]:
    """Exhibit as ``exhibit serve`` over a fresh SQLite trial set-up, and the Node server."""
    data_dir = workdir / "exhibit-data"
    env = {
        **os.environ,
        "EXHIBIT_DATA_DIR": str(data_dir),
        "EXHIBIT_SECRET_KEY": SecretBox.generate_key(),
    }
    token = asyncio.run(prepare_exhibit(env, max_bytes=2 * size))
    port = free_port()
    exhibit = Peer(
        "exhibit",
        [sys.executable, "-m", "exhibit", "serve", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/uploads/",
        {"Exhibit-Upload-Token": token},
    )
    exhibit.store = data_dir / "storage" / "bench" / "objects"
    print("exhibit: exhibit serve (uvicorn, uvloop, httptools), SQLite and the local store")
    if skip_node:
        return [exhibit]
    if not (NODE_DIR / "node_modules" / "@tus" / "server").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)
    port = free_port()
    store = workdir / "node-files"
    store.mkdir()
    node = Peer(
        "@tus/server",
        ["node", "server.mjs", str(store), str(port)],
        dict(os.environ),
        f"http://127.0.0.1:{port}/files/",
        {},
    )
    node.store = store
    version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    print(f"@tus/server: @tus/server with @tus/file-store on Node {version.strip()}")
    return [exhibit, node]


def report(peers: list["Peer"]) -> None:
    """Median throughput per server, peak memory, and the median per-round ratios."""
    print()
    print(
        f"{'':14}{'MiB/s replied':>14}{'MiB/s on disk':>14}{'peak RSS MiB':>14}"
        f"{'VmHWM MiB':>11}{'CPU ms/MiB':>12}"
    )
    for peer in peers:
        replied = statistics.median(r["mib_s"] for r in peer.results)
        on_disk = statistics.median(r["disk_mib_s"] for r in peer.results)
        peak = max(r["peak_rss_mib"] for r in peer.results)
        cpu = statistics.median(r["cpu_ms_per_mib"] for r in peer.results)
        print(
            f"{peer.name:14}{replied:>14.0f}{on_disk:>14.0f}{peak:>14.0f}"
            f"{peer.vm_hwm_mib():>11.0f}{cpu:>12.1f}"
        )
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if len(peers) == 2:
        for key, what in (("mib_s", "until the last reply"), ("disk_mib_s", "until on disk")):
            exhibit, node = ([r[key] for r in p.results] for p in peers)
            ratios = [e / n for e, n in zip(exhibit, node, strict=True)]
            rounds = ", ".join(f"{r:.2f}" for r in ratios)
            print(
                f"ratio exhibit / @tus/server, {what}: median {statistics.median(ratios):.2f}"
                f" (rounds: {rounds})"
            )


async def open_bench_request(platform: Platform, force_id: int, max_bytes: int) -> str:
    """Open a case for the force and an evidence request on it; return the link token."""
    async with force_transaction(platform, force_id) as tx:
        case = await open_case(
            tx.session, force_id, reference="BENCH/1", title="Bench", officer_id=None, actor="bench"
        )
        force = await tx.session.get(Force, force_id)
        assert force is not None
        _, token = await create_request(
            tx.session,
            platform.secret_box,
            force,
            case,
            NewRequest(
                recipient_name="Bench Witness",
                channels=("email",),
                email="witness@example.org",
                max_file_bytes=max_bytes,
            ),
            officer_id=None,
            actor="bench",
            public_url="http://127.0.0.1",
        )
    return token


async def prepare_exhibit(env: dict[str, str], max_bytes: int) -> str:
    """Migrate a fresh database, create a force, a case and a request; return the link token."""
    settings = load_settings(env)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    platform = Platform(settings, load_plugins())
    try:
        await upgrade_to_head(platform.engine, platform.plugins)
        async with platform.system_session() as session:
            force = await create_force(session, slug="bench", name="Bench Police", actor="bench")
            await session.commit()
        return await open_bench_request(platform, force.id, max_bytes)
    finally:
        await platform.close()


def stored_hash_matches(data_dir: Path, expected: str) -> bool:
    """Does an evidence item carry the source's SHA-256 (computed from the stored bytes)?"""
    with sqlite3.connect(data_dir / "exhibit.sqlite3") as db:
        hashes = {row[0] for row in db.execute("SELECT sha256 FROM evidence_item")}
    return expected in hashes


def make_source(path: Path, size: int) -> str:
    """Write ``size`` random bytes (starting like an MP4) in 8 MiB steps; return the SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        written = 0
        while written < size:
            block = os.urandom(min(8 * MiB, size - written))
            if written == 0:
                block = MP4_HEAD + block[len(MP4_HEAD) :]
            digest.update(block)
            out.write(block)
            written += len(block)
    return digest.hexdigest()


class MemorySampler(threading.Thread):
    """Samples a process's resident memory every 20 ms; ``stop`` returns the peak seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.baseline = status_kib(pid, "VmRSS")
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.02):
            self.peak = max(self.peak, status_kib(self.pid, "VmRSS"))

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system, all threads) a process has used so far (0 once gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kib(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.options(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"server at {url} did not come up")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
