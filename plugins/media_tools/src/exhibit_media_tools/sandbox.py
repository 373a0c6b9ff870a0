"""Running the decoders in a separate, limited process so hostile files cannot hurt the worker.

The child (``exhibit_media_tools.child``) gets CPU-time, address-space and file-size limits
before it imports any decoder; the parent adds a wall-clock timeout and kills the child's
whole process group when it runs out. A crash, a limit hit or a hang comes back as
``SandboxFailed`` with a plain explanation, and the worker carries on.
"""

import asyncio
import contextlib
import json
import os
import signal
import sys
from typing import Any

import msgspec

from exhibit.media.processor import ProcessingFailed


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """What one decoding run may use."""

    wall_seconds: float = 120.0
    cpu_seconds: int = 100
    memory_bytes: int = 1536 * 1024 * 1024
    file_bytes: int = 2 * 1024 * 1024 * 1024


class SandboxFailed(ProcessingFailed):
    """The sandboxed decoder failed, crashed, hit a limit or ran out of time."""


_SIGNALS = {
    signal.SIGXCPU: "it used more CPU time than allowed",
    signal.SIGKILL: "it was killed (out of time or memory)",
    signal.SIGSEGV: "the decoder crashed",
    signal.SIGABRT: "the decoder aborted",
    signal.SIGBUS: "the decoder crashed",
    signal.SIGXFSZ: "it tried to write a file larger than allowed",
}


async def run_sandboxed(request: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """Run one request in a fresh limited child process and return its answer.

    Raises ``SandboxFailed`` if the child reports an error, dies or exceeds ``limits``.
    """
    payload = json.dumps(
        {
            **request,
            "limits": {
                "cpu_seconds": limits.cpu_seconds,
                "memory_bytes": limits.memory_bytes,
                "file_bytes": limits.file_bytes,
            },
        }
    ).encode()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-B",
        "-m",
        "exhibit_media_tools.child",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=request["workdir"],
        env=_child_environment(),
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(payload), limits.wall_seconds)
    except TimeoutError:
        _kill_group(process.pid)
        await process.wait()
        raise SandboxFailed(
            f"processing took longer than {limits.wall_seconds:.0f} s and was stopped"
        ) from None
    except BaseException:
        _kill_group(process.pid)
        await process.wait()
        raise
    if process.returncode and process.returncode < 0:
        reason = _SIGNALS.get(signal.Signals(-process.returncode), "it was stopped by a signal")
        raise SandboxFailed(f"processing failed: {reason}")
    try:
        answer: dict[str, Any] = json.loads(out)
    except ValueError:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise SandboxFailed(f"processing failed: {tail[0][:300]}") from None
    if "error" in answer:
        raise SandboxFailed(str(answer["error"]))
    return answer


def _child_environment() -> dict[str, str]:
    """A small environment: no credentials of the worker, one thread per numeric library."""
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", OPENCV_FOR_THREADS_NUM="1")
    return env


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
