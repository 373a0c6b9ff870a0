"""The sandboxed child: limits itself, decodes one hostile file, prints a JSON answer.

Run by the sandbox helper (``forkserver``) in a freshly forked process for each file. It
reads one request (JSON) on standard input, lowers its own resource limits before it reads
a byte of the file, and writes one answer (JSON) on standard output. Any failure becomes an
answer with an ``error``; a crash, a limit or a hang is noticed by the worker instead.
"""

import json
import os
import resource
import signal
import sys
from pathlib import Path
from typing import Any


def _limit(limits: dict[str, int]) -> None:
    """Apply CPU-seconds, address-space and file-size limits to this process (hard too)."""
    for name, value in (
        ("RLIMIT_CPU", limits["cpu_seconds"]),
        ("RLIMIT_AS", limits["memory_bytes"]),
        ("RLIMIT_FSIZE", limits["file_bytes"]),
        ("RLIMIT_CORE", 0),
    ):
        resource.setrlimit(getattr(resource, name), (value, value))
    # Python ignores SIGXFSZ, and then a write past the limit is silently cut short: a
    # truncated derivative would pass as a good one. Let the signal stop the child instead.
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


def main() -> None:
    """Read the request, apply the limits, do the work, print the answer."""
    request = json.loads(sys.stdin.read())
    os.chdir(request["workdir"])
    _limit(request["limits"])
    try:
        answer = _dispatch(request)
        _check_sizes(answer, request["limits"]["file_bytes"])
    except MemoryError:
        answer = {"error": "out of memory: the file needs more memory than allowed to decode"}
    except Exception as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


def _check_sizes(answer: dict[str, Any], file_bytes: int) -> None:
    """Refuse derivatives that reached the file-size limit: they were cut short.

    A single ``write`` that crosses the limit is shortened without an error or a signal
    (Pillow writes a whole JPEG that way), so the size is the only trace of it.
    """
    for made in answer.get("derivatives", []):
        if Path(made["path"]).stat().st_size >= file_bytes:
            raise ValueError(f"the {made['kind']} was larger than allowed ({file_bytes} bytes)")


def _dispatch(request: dict[str, Any]) -> dict[str, Any]:
    from exhibit_media_tools import work  # already imported by the helper, before any input

    source = Path(request["input"])
    workdir = Path(request["workdir"])
    if request["op"] == "analyse":
        return work.analyse(source, workdir, request["options"])
    if request["op"] == "plan_proxy":
        return work.plan_proxy(source, request["options"])
    if request["op"] == "proxy":
        return work.proxy(source, workdir, request["options"])
    if request["op"] == "redact":
        return work.redact(source, workdir, request["options"])
    raise ValueError(f"unknown operation {request['op']!r}")
