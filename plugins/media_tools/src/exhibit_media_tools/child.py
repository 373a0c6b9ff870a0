"""The sandbox process: limits itself, decodes one hostile file, prints a JSON answer.

Run as ``python -m exhibit_media_tools.child`` by ``sandbox.run_sandboxed``. It reads one
request (JSON) on standard input, lowers its own resource limits before importing any
decoder, and writes one answer (JSON) on standard output. Any failure becomes an answer
with an ``error``; a crash, a limit or a hang is noticed by the parent instead.
"""

import json
import resource
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


def main() -> None:
    """Read the request, apply the limits, do the work, print the answer."""
    request = json.loads(sys.stdin.read())
    _limit(request["limits"])
    try:
        answer = _dispatch(request)
    except MemoryError:
        answer = {"error": "out of memory: the file needs more memory than allowed to decode"}
    except Exception as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


def _dispatch(request: dict[str, Any]) -> dict[str, Any]:
    from exhibit_media_tools import work  # decoders imported only once limits are in place

    source = Path(request["input"])
    workdir = Path(request["workdir"])
    if request["op"] == "analyse":
        return work.analyse(source, workdir, request["options"])
    if request["op"] == "redact":
        return work.redact(source, workdir, request["options"])
    raise ValueError(f"unknown operation {request['op']!r}")


if __name__ == "__main__":
    main()
