"""Fewer malloc arenas for the long-running processes (``exhibit serve``, ``exhibit worker``).

glibc gives threads that allocate at the same time arenas of their own, up to eight per
core, and freed memory stays in the arena that held it. Exhibit moves request bodies and
storage parts through pools of threads (database, file writes, S3 sends), so each pool
thread ends up keeping megabytes it will not use again. Two arenas, as often advised for
threaded Python servers, took ~8 MiB off the peak of ``bench/s3_upload.py``'s server
(141 to 133 MiB) with no change in speed. Other C libraries are left as they are.
"""

import ctypes
import sys

M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas at ``ARENAS`` for this process; True if it applied.

    Call it before the process starts its threads: arenas already made stay.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc only: musl has no such function
    except (OSError, AttributeError):
        return False
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(libc.mallopt(M_ARENA_MAX, ARENAS))
