"""Benchmark: the S3 store's upload path beside a direct boto3 multipart upload, same endpoint.

Both write the same file to the same S3 endpoint (a ``moto_server`` process on loopback
unless ``--endpoint`` names another): first boto3's own ``upload_fileobj`` (multipart, parts
of the same size, 10 threads), then ``S3Storage`` driven the way the tus server drives it
(``begin``, one ``append`` per chunk of ``--chunk-mib``, ``complete``). It prints MB/s for
each and their ratio, the store's peak Python heap (tracemalloc) and this process's peak
RSS growth while the store uploads, and checks the SHA-256 the store reports.

It measures the store, not the HTTP front: the full path through Exhibit's tus server needs
the core to hand the store its force's settings (see the plugin README). Figures move with
the machine's load; compare the ratio within one run.

    uv run python plugins/storage_s3/bench/store_vs_boto3.py --size-mib 512
"""

import argparse
import asyncio
import hashlib
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig

from exhibit.plugins.context import ForceInfo, ProviderContext
from exhibit.settings import Settings
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config

MiB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--chunk-mib", type=int, default=8, help="tus PATCH size")
    parser.add_argument("--part-mib", type=int, default=8)
    parser.add_argument("--endpoint", default=None, help="an S3 endpoint instead of moto")
    args = parser.parse_args()

    moto = None
    endpoint = args.endpoint
    if endpoint is None:
        port = _free_port()
        moto = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{port}"
        _wait_for(port)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    try:
        with tempfile.TemporaryDirectory(prefix="s3-bench-") as folder:
            source = Path(folder) / "source.bin"
            expected = _make_source(source, args.size_mib * MiB)
            client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
            client.create_bucket(Bucket="bench")
            direct = _direct(client, source, args.part_mib * MiB)
            store, _, rss_growth, digest = asyncio.run(
                _through_store(endpoint, source, args.chunk_mib * MiB, args.part_mib, trace=False)
            )
            # tracemalloc slows every allocation: the heap is measured in a run of its own.
            _, peak_heap, _, _ = asyncio.run(
                _through_store(endpoint, source, args.chunk_mib * MiB, args.part_mib, trace=True)
            )
    finally:
        if moto is not None:
            moto.terminate()
            moto.wait(10)
    size_mb = args.size_mib * MiB / 1e6
    print(f"file: {args.size_mib} MiB, chunks {args.chunk_mib} MiB, parts {args.part_mib} MiB")
    print(f"boto3 upload_fileobj : {size_mb / direct:8.1f} MB/s")
    print(f"S3Storage append     : {size_mb / store:8.1f} MB/s")
    print(f"ratio store / boto3  : {direct / store:8.2f}  (target 0.8 or better)")
    print(f"store peak heap      : {peak_heap / MiB:8.1f} MiB (tracemalloc)")
    print(f"process RSS growth   : {rss_growth / MiB:8.1f} MiB while the store uploaded")
    print(f"SHA-256 reported     : {'matches' if digest == expected else 'DIFFERS'}")


def _direct(client: object, source: Path, part_size: int) -> float:
    config = TransferConfig(multipart_chunksize=part_size, multipart_threshold=part_size)
    started = time.perf_counter()
    with source.open("rb") as stream:
        client.upload_fileobj(stream, "bench", "direct.bin", Config=config)  # type: ignore[attr-defined]
    return time.perf_counter() - started


async def _through_store(
    endpoint: str, source: Path, chunk: int, part_mib: int, *, trace: bool
) -> tuple[float, int, int, str]:
    config = Config(
        bucket="bench", endpoint_url=endpoint, region="us-east-1", part_size_mib=part_mib
    )
    settings = Settings(data_dir=source.parent, database_url="sqlite+aiosqlite://")
    store = S3Storage(ProviderContext(settings, ForceInfo(1, "bench", "Bench"), "bench", config))
    store.client  # noqa: B018 - build the client before measuring
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    key = f"originals/bench/{time.time_ns()}"
    state = await store.begin(key)
    offset = 0
    size = await asyncio.to_thread(os.path.getsize, source)
    with source.open("rb") as stream:
        while offset < size:
            offset, state = await store.append(
                key, state, offset, _pieces(stream, min(chunk, size - offset))
            )
    stored = await store.complete(key, state)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return elapsed, peak, max(0, rss_after - rss_before), stored.sha256


async def _pieces(stream: BinaryIO, length: int) -> AsyncIterator[bytes]:
    """``length`` bytes of a request body as they arrive: 64 KiB at a time."""
    while length > 0:
        piece = stream.read(min(64 * 1024, length))
        length -= len(piece)
        yield piece


def _make_source(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(size // MiB):
            block = os.urandom(MiB)
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("moto_server did not start")


if __name__ == "__main__":
    main()
