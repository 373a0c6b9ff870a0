"""Benchmark: uploads through Exhibit into S3 beside boto3's own multipart upload, same endpoint.

S3 is moto's server mode (``python -m moto.server``) in its own process on loopback, unless
``--endpoint`` names another store. Exhibit runs as in a trial (``exhibit serve``: uvicorn,
SQLite in a temporary folder) with one force that enables storage_s3 and keeps its evidence
in the bucket. Each round uploads the same file twice, alternating which goes first:

- through Exhibit: tuspy to the tus server, in the chunks the citizen page sends to a force
  on S3 (whole parts within 64 MiB: eight of 8 MiB; ``--chunk-mib`` to choose), which
  streams each PATCH into the force's S3 multipart upload (parts of ``--part-mib``);
- directly: boto3's managed upload (s3transfer, as ``upload_fileobj``: multipart, parts of
  ``--part-mib``, 4 threads as the store's own limit of parts in flight,
  ``--direct-threads`` to change it, a SHA-256 checksum on every part as the store sends)
  from this process, through a client built exactly as the store builds its own
  (``exhibit_storage_s3.client``: the same retries, time-outs and checksum and signing
  settings), so that the ratio measures Exhibit and not a difference in client settings.

It prints MB/s for each, the per-round ratio Exhibit / boto3 (target 0.8 or better), the
server process's RSS sampled while it receives and its high-water mark (VmHWM, target under
150 MB for a 2 GB upload), the load average, and checks that Exhibit's evidence item carries
the source's SHA-256. Each side first uploads the file once as a warm-up (moto's process grows
to the file's size on the first). Each upload also prints its parts phase apart from the
rest (the last request, or the completion), and the CPU it cost per MiB in each process:
Exhibit's server, the client (tuspy, or boto3 for the direct side: this process) and the
S3 server when the bench runs it: on a machine with fewer cores than busy processes, the
ratio follows the sums. Objects are deleted after each upload (moto holds them in memory).

    uv run python bench/s3_upload.py                      # 2 GiB, the page's chunks, 5 rounds
    uv run python bench/s3_upload.py --size-mib 512 --rounds 2 --chunk-mib 8
"""

import argparse
import asyncio
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from sqlalchemy import update
from tus_upload import (
    MemorySampler,
    cpu_seconds,
    free_port,
    make_source,
    open_bench_request,
    status_kib,
    wait_until_up,
)
from tusclient.client import TusClient

from exhibit.db.migrate import upgrade_to_head
from exhibit.forces.models import Force
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.service import create_force
from exhibit.platform import Platform
from exhibit.plugins.context import ForceInfo, ProviderContext
from exhibit.plugins.manager import load_plugins
from exhibit.secrets import Secret, SecretBox
from exhibit.settings import load_settings
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.client import s3_client
from exhibit_storage_s3.config import Config

MiB = 1024 * 1024
MB = 1_000_000
BUCKET = "bench"
ACCESS_KEY, SECRET_KEY = "bench", "bench-secret"
BENCH_FORCE = ForceInfo(id=1, slug="bench", name="Bench Police")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mib", type=int, default=2048, help="file size (MiB)")
    parser.add_argument(
        "--chunk-mib", type=int, default=None, help="tus chunk size (MiB; default: the page's)"
    )
    parser.add_argument("--part-mib", type=int, default=8, help="S3 part size (MiB)")
    parser.add_argument(
        "--warmup-mib", type=int, default=None, help="warm-up upload (MiB; default: the file)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="measured uploads per side")
    parser.add_argument("--direct-threads", type=int, default=4, help="boto3's parts in flight")
    parser.add_argument("--endpoint", default=None, help="an S3 endpoint instead of moto")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="exhibit-s3-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        endpoint = args.endpoint
        if endpoint is None:
            port = free_port()
            moto = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            processes.append(moto)
            endpoint = f"http://127.0.0.1:{port}"
            wait_until_up(endpoint, moto)
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
        client.create_bucket(Bucket=BUCKET)
        print(f"writing a {args.size_mib} MiB source file (load {load_average()}) ...", flush=True)
        source = workdir / "source.mp4"
        expected = make_source(source, args.size_mib * MiB)
        # A warm-up at full size by default: the first upload of that size makes moto's
        # process grow (its first 2 GiB upload cost it a third more CPU per MiB than later
        # ones), and that should not fall on whichever side goes first.
        warmup = source
        if args.warmup_mib is not None:
            warmup = workdir / "warmup.mp4"
            make_source(warmup, args.warmup_mib * MiB)

        server, url, token = start_exhibit(workdir, endpoint, args)
        processes.append(server)
        chunk = page_chunk(args.part_mib) if args.chunk_mib is None else args.chunk_mib * MiB
        print(
            f"exhibit serve (pid {server.pid}) into {endpoint}, bucket {BUCKET!r};"
            f" tus chunks of {chunk // MiB} MiB, parts of {args.part_mib} MiB",
            flush=True,
        )
        s3_pid = processes[0].pid if args.endpoint is None else None
        exhibit = ExhibitSide(server, url, token, chunk, client, s3_pid)
        direct = DirectSide(
            store_client(endpoint), args.part_mib * MiB, args.direct_threads, s3_pid
        )
        exhibit.upload(warmup, "warm-up")
        direct.upload(warmup, "warm-up")
        for round_ in range(args.rounds):
            label = f"round {round_ + 1}"
            sides: list[Side] = [exhibit, direct] if round_ % 2 == 0 else [direct, exhibit]
            for side in sides:
                rate, parts = side.upload(source, label)
                side.results.append(rate)
                side.parts.append(parts)
            if not stored_hash_matches(workdir / "data", expected):
                raise SystemExit("Exhibit's evidence item does not carry the source's SHA-256")
        print("Exhibit's evidence items carry the source's SHA-256: yes")
        report(exhibit, direct, args.size_mib)
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


class Side:
    """One way of uploading; ``results`` holds MB/s per measured round.

    ``s3_pid`` is the S3 server's process when the bench runs it (moto), for its CPU.
    """

    name = ""

    def __init__(self, s3_pid: int | None) -> None:
        self.results: list[float] = []
        self.parts: list[float] = []  # seconds until the last request (or the completion)
        self.s3_pid = s3_pid

    def upload(self, source: Path, label: str) -> tuple[float, float]:
        """Upload ``source``; MB/s, and the seconds until the last request (or completion)."""
        raise NotImplementedError

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far of this process (the client) and of the S3 server (0 if not ours)."""
        return time.process_time(), cpu_seconds(self.s3_pid) if self.s3_pid else 0.0

    def cpu_note(self, before: tuple[float, float], size: int) -> str:
        """CPU per MiB since ``before``: the client's, and the S3 server's when it is ours."""
        client, s3 = (now - then for now, then in zip(self.cpu(), before, strict=True))
        note = f"client CPU {1000 * client / (size / MiB):4.1f} ms/MiB"
        return note + (f", S3 CPU {1000 * s3 / (size / MiB):4.1f} ms/MiB" if self.s3_pid else "")


class ExhibitSide(Side):
    """tuspy to ``exhibit serve``; the server's memory is sampled while it receives."""

    name = "exhibit"

    def __init__(
        self,
        server: subprocess.Popen[bytes],
        url: str,
        token: str,
        chunk: int,
        client: Any,
        s3_pid: int | None,
    ) -> None:
        super().__init__(s3_pid)
        self.server, self.url, self.token, self.chunk, self.client = (
            server,
            url,
            token,
            chunk,
            client,
        )
        self.peak_rss_kib = 0

    def upload(self, source: Path, label: str) -> tuple[float, float]:
        sampler = MemorySampler(self.server.pid)
        sampler.start()
        cpu_before, others_before = cpu_seconds(self.server.pid), self.cpu()
        uploader = TusClient(self.url, headers={"Exhibit-Upload-Token": self.token}).uploader(
            file_path=str(source), chunk_size=self.chunk, metadata={"filename": source.name}
        )
        size = source.stat().st_size
        send_chunk: Callable[[], None] = uploader.upload_chunk  # tuspy's is not annotated
        started = time.perf_counter()
        uploader.stop_at = size  # as upload() sets it; the first request creates the upload
        while uploader.offset + self.chunk < size:
            send_chunk()
        parts = time.perf_counter() - started
        send_chunk()  # the last request: its parts, completion, the evidence item
        seconds = time.perf_counter() - started
        peak = sampler.stop()
        self.peak_rss_kib = max(self.peak_rss_kib, peak)
        cpu = cpu_seconds(self.server.pid) - cpu_before
        rate = size / MB / seconds
        print(
            f"  {self.name:8} {label:8} {size / MiB:5.0f} MiB in {seconds:6.2f} s ="
            f" {rate:5.1f} MB/s (parts {parts:5.2f} s, the rest {seconds - parts:5.2f} s);"
            f" server CPU {1000 * cpu / (size / MiB):4.1f} ms/MiB,"
            f" {self.cpu_note(others_before, size)};"
            f" RSS {sampler.baseline / 1024:4.0f} MiB before, peak {peak / 1024:4.0f} MiB"
            f" (load {load_average()})",
            flush=True,
        )
        empty_bucket(self.client)
        return rate, parts


class DirectSide(Side):
    """boto3's managed multipart upload from this process, parts of the store's size.

    ``client`` is a client as the store builds it (see the module docstring).
    """

    name = "boto3"

    def __init__(self, client: Any, part: int, threads: int, s3_pid: int | None) -> None:
        super().__init__(s3_pid)
        self.client = client
        self.completing = 0.0
        client.meta.events.register(
            "before-call.s3.CompleteMultipartUpload", self._completing, unique_id="bench"
        )
        self.transfer = TransferConfig(
            multipart_threshold=part,
            multipart_chunksize=part,
            max_concurrency=threads,
            use_threads=threads > 1,
        )

    def _completing(self, **_: Any) -> None:
        self.completing = time.perf_counter()

    def upload(self, source: Path, label: str) -> tuple[float, float]:
        cpu_before = self.cpu()
        started = self.completing = time.perf_counter()  # a file of one part has no completion
        with source.open("rb") as data, create_transfer_manager(self.client, self.transfer) as m:
            m.upload(
                data,
                BUCKET,
                f"direct/{source.name}",
                extra_args={"ChecksumAlgorithm": "SHA256"},
            ).result()
        seconds = time.perf_counter() - started
        parts = self.completing - started
        size = source.stat().st_size
        rate = size / MB / seconds
        print(
            f"  {self.name:8} {label:8} {size / MiB:5.0f} MiB in {seconds:6.2f} s ="
            f" {rate:5.1f} MB/s (parts {parts:5.2f} s, completion {seconds - parts:5.2f} s);"
            f" {self.cpu_note(cpu_before, size)} (load {load_average()})",
            flush=True,
        )
        empty_bucket(self.client)
        return rate, parts


def start_exhibit(
    workdir: Path, endpoint: str, args: argparse.Namespace
) -> tuple[subprocess.Popen[bytes], str, str]:
    """A fresh SQLite set-up whose force keeps evidence in the bucket, served; its link token."""
    env = {
        **os.environ,
        "EXHIBIT_DATA_DIR": str(workdir / "data"),
        "EXHIBIT_SECRET_KEY": SecretBox.generate_key(),
    }
    token = asyncio.run(prepare(env, endpoint, args.part_mib, 4 * args.size_mib * MiB))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "exhibit", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/uploads/"
    wait_until_up(url, server)
    return server, url, token


async def prepare(env: dict[str, str], endpoint: str, part_mib: int, max_bytes: int) -> str:
    """Migrate, create force ``bench`` on storage_s3, a case and a request; the link token."""
    settings = load_settings(env)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    platform = Platform(settings, load_plugins())
    try:
        await upgrade_to_head(platform.engine, platform.plugins)
        async with platform.system_session() as session:
            force = await create_force(session, slug="bench", name="Bench Police", actor="bench")
            await session.commit()
        async with platform.force_session(force.id) as session:
            await configure_plugin(
                session,
                platform.plugins,
                platform.secret_box,
                force.id,
                "storage_s3",
                enabled=True,
                config={
                    "bucket": BUCKET,
                    "prefix": "bench/",
                    "endpoint_url": endpoint,
                    "region": "us-east-1",
                    "access_key_id": ACCESS_KEY,
                    "secret_access_key": {"value": SECRET_KEY},
                    "encryption": "none",
                    "part_size_mib": part_mib,
                },
                actor="bench",
            )
            await session.commit()
        async with platform.system_session() as session:
            await session.execute(
                update(Force).where(Force.id == force.id).values(storage_backend="s3")
            )
            await session.commit()
        return await open_bench_request(platform, force.id, max_bytes)
    finally:
        await platform.close()


def page_chunk(part_mib: int) -> int:
    """The chunk size the citizen page sends to a force on S3 with parts of ``part_mib``."""
    config = Config(bucket=BUCKET, part_size_mib=part_mib)
    return S3Storage(
        ProviderContext(load_settings({}), BENCH_FORCE, "storage_s3", config)
    ).upload_chunk_size()


def store_client(endpoint: str) -> Any:
    """A client for the bucket built exactly as the store builds its own."""
    secret = Secret.from_value(SECRET_KEY, SecretBox(SecretBox.generate_key()))
    return s3_client(
        Config(
            bucket=BUCKET,
            endpoint_url=endpoint,
            region="us-east-1",
            access_key_id=ACCESS_KEY,
            secret_access_key=secret,
        )
    )


def empty_bucket(client: Any) -> None:
    """Delete every object and multipart upload left in the bucket (moto keeps them in RAM)."""
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=BUCKET, Delete={"Objects": keys, "Quiet": True})


def stored_hash_matches(data_dir: Path, expected: str) -> bool:
    """Does an evidence item carry the source's SHA-256?"""
    with sqlite3.connect(data_dir / "exhibit.sqlite3") as db:
        return expected in {row[0] for row in db.execute("SELECT sha256 FROM evidence_item")}


def report(exhibit: ExhibitSide, direct: DirectSide, size_mib: int) -> None:
    """Median MB/s per side, the per-round ratios, and the server's memory."""
    ratios = [e / d for e, d in zip(exhibit.results, direct.results, strict=True)]
    print()
    print(f"MB/s through Exhibit (tus -> S3): median {statistics.median(exhibit.results):.1f}")
    print(f"MB/s direct boto3 multipart:      median {statistics.median(direct.results):.1f}")
    print(
        f"ratio exhibit / boto3: median {statistics.median(ratios):.2f}"
        f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)}; target 0.8 or better)"
    )
    # moto's completion (it joins the parts) varies by a third between uploads, and costs
    # more after a slower parts phase (bench/README.md); the parts phase is each side's own.
    if all(exhibit.parts):  # else the file fits in one request: no parts phase
        part_ratios = [d / e for e, d in zip(exhibit.parts, direct.parts, strict=True)]
        print(
            f"parts phase only, boto3 s / Exhibit s: median {statistics.median(part_ratios):.2f}"
            f" (rounds: {', '.join(f'{r:.2f}' for r in part_ratios)})"
        )
    hwm = status_kib(exhibit.server.pid, "VmHWM")
    print(
        f"server memory for a {size_mib} MiB upload: peak RSS sampled"
        f" {exhibit.peak_rss_kib / 1024:.0f} MiB, VmHWM {hwm / 1024:.0f} MiB"
        f" = {hwm * 1024 / MB:.0f} MB (target under 150 MB)"
    )
    print(f"load average at the end: {load_average()}")


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
