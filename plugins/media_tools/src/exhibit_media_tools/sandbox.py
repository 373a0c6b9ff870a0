"""Running the decoders in separate, limited processes so hostile files cannot hurt the worker.

Each file is decoded by a fresh child process forked for it by the sandbox helper
(``forkserver``), a long-lived process per worker that imported the decoders once, before
any input, and runs with a stripped environment. The child gets CPU-time, address-space,
file-size and core-dump limits before it reads the file, handles one request and exits; the
worker keeps a wall-clock timeout and has the child's whole process group killed when it
runs out. A crash, a limit hit or a hang comes back as ``SandboxFailed`` with a plain
explanation, and the worker carries on. If the helper itself is gone it is started again.
"""

import asyncio
import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
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
    run = _Run()
    try:
        # Starting (or restarting) the helper spawns and may wait for a process: not on the loop.
        await asyncio.to_thread(_submit, run)
        try:
            out, err, wait_status = await asyncio.wait_for(
                run.exchange(payload), limits.wall_seconds
            )
        except TimeoutError:
            await run.stop()
            raise SandboxFailed(
                f"processing took longer than {limits.wall_seconds:.0f} s and was stopped"
            ) from None
        except BaseException:
            await asyncio.shield(run.stop())
            raise
    finally:
        run.close()
    returncode = os.waitstatus_to_exitcode(wait_status)
    if returncode < 0:
        reason = _SIGNALS.get(signal.Signals(-returncode), "it was stopped by a signal")
        raise SandboxFailed(f"processing failed: {reason}")
    try:
        answer: dict[str, Any] = json.loads(out)
    except ValueError:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise SandboxFailed(f"processing failed: {tail[0][:300]}") from None
    if "error" in answer:
        raise SandboxFailed(str(answer["error"]))
    return answer


def helper_pid() -> int | None:
    """The pid of this worker's sandbox helper, if it is running."""
    helper = _current
    return helper.process.pid if helper is not None and helper.alive() else None


class _Run:
    """One request: the worker's ends of the child's data, error and status sockets."""

    def __init__(self) -> None:
        self.data, self.data_child = socket.socketpair()
        self.err, self.err_child = socket.socketpair()
        self.status, self.status_helper = socket.socketpair()
        for sock in (self.data, self.err, self.status):
            sock.setblocking(False)
        self.pid: int | None = None
        self.ended = False

    def handed_over(self) -> None:
        """The helper has its own copies now; close ours so end-of-file means something."""
        for sock in (self.data_child, self.err_child, self.status_helper):
            sock.close()

    async def exchange(self, payload: bytes) -> tuple[bytes, bytes, int]:
        """Send the request; return the child's output, its error output and wait status."""
        loop = asyncio.get_running_loop()
        pid = await _receive_number(loop, self.status)
        if pid is None:
            raise SandboxFailed("processing failed: the sandbox helper could not start a process")
        self.pid = pid
        with contextlib.suppress(ConnectionError):
            await loop.sock_sendall(self.data, payload)
            self.data.shutdown(socket.SHUT_WR)
        out, err = await asyncio.gather(
            _read_all(loop, self.data), _read_all(loop, self.err, keep=65536)
        )
        wait_status = await _receive_number(loop, self.status)
        if wait_status is None:
            raise SandboxFailed("processing failed: the sandbox helper stopped")
        self.ended = True
        return out, err, wait_status

    async def stop(self) -> None:
        """Have the helper kill the child's group, and wait (briefly) until it has."""
        if self.ended:
            return
        loop = asyncio.get_running_loop()
        with contextlib.suppress(OSError):
            self.status.send(b"k")
        ended = None
        with contextlib.suppress(TimeoutError, OSError):
            async with asyncio.timeout(10):
                if self.pid is None:  # the helper had not forked the child yet
                    self.pid = await _receive_number(loop, self.status)
                if self.pid is not None:
                    ended = await _receive_number(loop, self.status)
        if ended is None and self.pid is not None:
            _kill_group(self.pid)  # the helper is gone: the child is an orphan, still alive

    def close(self) -> None:
        """Close every socket of this run (idempotent)."""
        for sock in (self.data, self.err, self.status):
            sock.close()
        self.handed_over()


async def _receive_number(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> int | None:
    data = b""
    while len(data) < 8:
        chunk = await loop.sock_recv(sock, 8 - len(data))
        if not chunk:
            return None
        data += chunk
    return int.from_bytes(data, "big", signed=True)


async def _read_all(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, keep: int | None = None
) -> bytes:
    """Everything ``sock`` sends until end-of-file; only the last ``keep`` bytes if given."""
    received = b""
    while chunk := await loop.sock_recv(sock, 65536):
        received += chunk
        if keep is not None:
            received = received[-keep:]
    return received


class _Helper:
    """This worker's sandbox helper process and the control socket to it."""

    def __init__(self) -> None:
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.lock = threading.Lock()
        self.owner = os.getpid()
        self.process = subprocess.Popen(
            [sys.executable, "-B", "-m", "exhibit_media_tools.forkserver"],
            stdin=theirs.fileno(),
            stdout=subprocess.DEVNULL,
            cwd="/",
            env=_child_environment(),
            start_new_session=True,
        )
        theirs.close()

    def alive(self) -> bool:
        """Whether the helper is still running and belongs to this process."""
        return self.owner == os.getpid() and self.process.poll() is None

    def submit(self, run: _Run) -> None:
        """Hand the run's child ends to the helper, which forks a child for it."""
        with self.lock:
            socket.send_fds(
                self.control,
                [b"r"],
                [run.data_child.fileno(), run.err_child.fileno(), run.status_helper.fileno()],
            )
        run.handed_over()

    def close(self) -> None:
        """Close the control socket: the helper kills its children and exits."""
        self.control.close()
        if self.owner == os.getpid():
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_current: _Helper | None = None
_lock = threading.Lock()


def _submit(run: _Run) -> None:
    """Hand ``run`` to this worker's helper, starting it first (or again if it died)."""
    global _current
    with _lock:
        for attempt in range(2):
            if _current is None or not _current.alive():
                if _current is not None:
                    _current.close()
                _current = _Helper()
            try:
                _current.submit(run)
                return
            except OSError:
                _current.close()
                _current = None
                if attempt:
                    raise SandboxFailed("processing failed: no sandbox helper") from None


@atexit.register
def _close_helper() -> None:
    if _current is not None and _current.owner == os.getpid():
        _current.close()


def _child_environment() -> dict[str, str]:
    """A small environment: no credentials of the worker, one thread per numeric library."""
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", OPENCV_FOR_THREADS_NUM="1")
    return env


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
