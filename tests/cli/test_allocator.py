"""The serving processes cap glibc's malloc arenas (``exhibit.cli.allocator``).

glibc's ``malloc_stats()`` lists each arena on standard error ("Arena 0:", ...); a child
process allocates from eight threads at once and counts them, with and without the cap.
"""

import ctypes
import subprocess
import sys

import pytest

from exhibit.cli.allocator import ARENAS

CHILD = """
import ctypes, sys, threading
from exhibit.cli.allocator import limit_malloc_arenas
if sys.argv[1] == "capped":
    assert limit_malloc_arenas()
start = threading.Barrier(8)
def allocate():
    start.wait()
    kept = [bytearray(200_000) for _ in range(50)]
    start.wait()
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(None).malloc_stats()
"""


def _arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stderr.count("Arena ")


def _glibc() -> bool:
    try:
        return sys.platform.startswith("linux") and bool(ctypes.CDLL(None).gnu_get_libc_version)
    except (OSError, AttributeError):
        return False


@pytest.mark.skipif(not _glibc(), reason="malloc arenas are glibc's (this C library is not)")
def test_threads_share_at_most_two_arenas_once_capped() -> None:
    assert _arenas("uncapped") > ARENAS  # the test can tell: threads do get arenas of their own
    assert _arenas("capped") <= ARENAS
