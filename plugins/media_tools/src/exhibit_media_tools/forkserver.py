"""The sandbox helper: imports the decoders once, then forks one limited child per file.

Started by ``sandbox`` as ``python -B -m exhibit_media_tools.forkserver`` with a stripped
environment, one per worker process. It never reads a hostile byte itself: it imports
Pillow, pillow-heif, numpy and PyAV and warms them up on a photo it makes itself (so no
child pays for that), then waits on its standard
input, a Unix socket to the worker, for requests. A request is three sockets passed with
``SCM_RIGHTS``: *data* (the child's standard input and output), *err* (its standard error)
and *status* (this helper's line to the worker about that child).

For each request the helper forks. The child starts its own session (so its whole process
group can be killed), closes every descriptor but *data* and *err*, and runs
``child.main``: it reads the request, applies the CPU, address-space, file-size and core
limits, decodes one file, writes one answer and exits. The helper writes the child's pid on
*status*; any byte or end-of-file from the worker on *status* kills the child's group (the
worker's wall-clock limit); when the child ends the helper kills what is left of its group,
reaps it and writes its wait status. A crash, a limit or a hang ends only that child. When
the worker goes away (end-of-file on standard input) the helper kills its children and exits.
"""

import contextlib
import os
import resource
import selectors
import signal
import socket
import struct
import sys
import tempfile
import traceback
from pathlib import Path

from PIL import Image

from exhibit_media_tools import child, video, work  # noqa: F401  imported once, before any input

NUMBER = struct.Struct("!q")
"""A pid or a wait status on the *status* socket."""


class _Helper:
    """The helper's state: the worker's control socket and the children still running."""

    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(control, selectors.EVENT_READ)
        self.selector.register(self.wake_r, selectors.EVENT_READ)
        self.running: dict[int, socket.socket] = {}

    def serve(self) -> None:
        """Fork a child per request and report on it, until the worker closes the control."""
        signal.set_wakeup_fd(self.wake_w.fileno())
        signal.signal(signal.SIGCHLD, lambda *_: None)
        while True:
            for key, _ in self.selector.select():
                if key.fileobj is self.control:
                    if not self._accept():
                        self._stop_all()
                        return
                elif key.fileobj is self.wake_r:
                    with contextlib.suppress(BlockingIOError):
                        while self.wake_r.recv(512):
                            pass
                    self._reap()
                else:
                    self._stop(int(key.data))
            self._reap()

    def _accept(self) -> bool:
        """Take one request and fork its child; ``False`` once the worker has gone."""
        try:
            message, fds, _, _ = socket.recv_fds(self.control, 16, 3)
        except OSError:
            return False
        if not message:
            return False
        sockets = [socket.socket(fileno=fd) for fd in fds]
        if len(sockets) != 3:
            for sock in sockets:
                sock.close()
            return True
        data, err, status = sockets
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            self._become_child(data, err, status)
        data.close()
        err.close()
        if pid < 0:
            status.close()  # the worker reads end-of-file: no child was started
            return True
        self.running[pid] = status
        with contextlib.suppress(OSError):
            status.sendall(NUMBER.pack(pid))
        status.setblocking(False)
        self.selector.register(status, selectors.EVENT_READ, pid)
        return True

    def _become_child(self, data: socket.socket, err: socket.socket, status: socket.socket) -> None:
        """In the forked child: drop everything of the helper, then handle one request."""
        code = 1
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            self.selector.close()
            for sock in (self.control, self.wake_r, self.wake_w, status, *self.running.values()):
                sock.close()
            os.dup2(data.fileno(), 0)
            os.dup2(data.fileno(), 1)
            os.dup2(err.fileno(), 2)
            data.close()
            err.close()
            os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
            child.main()
            code = 0
        except BaseException:
            with contextlib.suppress(BaseException):
                traceback.print_exc()
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)

    def _stop(self, pid: int) -> None:
        """The worker gave up on this child (its wall clock ran out, or it went away)."""
        if pid in self.running:
            self.selector.unregister(self.running[pid])
            _kill_group(pid)

    def _reap(self) -> None:
        """Report every child that has ended, after killing anything left in its group."""
        for pid in list(self.running):
            try:
                ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                ended = None
            if ended is None:
                continue
            _kill_group(pid)  # the group exists while its leader is unreaped: no reuse race
            _, wait_status = os.waitpid(pid, 0)
            status = self.running.pop(pid)
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(status)
            with contextlib.suppress(OSError):
                status.setblocking(True)
                status.sendall(NUMBER.pack(wait_status))
            status.close()

    def _stop_all(self) -> None:
        for pid in list(self.running):
            _kill_group(pid)
        for pid in list(self.running):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self.running.pop(pid).close()


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def warm_up() -> None:
    """Analyse a tiny photo made here, so lazy imports and decoder set-up happen only once.

    The photo is ours, not the public's: no hostile byte reaches the helper.
    """
    with tempfile.TemporaryDirectory(prefix="exhibit-sandbox-warm-") as folder:
        photo = Path(folder) / "warm.jpg"
        Image.new("RGB", (64, 48), (90, 120, 150)).save(photo, "JPEG")
        work.analyse(photo, Path(folder), {"thumbnail_size": 32, "proxy_height": 32})


def main() -> None:
    """Serve the worker on standard input until it closes it."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    warm_up()
    control = socket.socket(fileno=os.dup(0))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    _Helper(control).serve()


if __name__ == "__main__":
    main()
