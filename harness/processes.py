"""Child processes started in a session of their own (start_new_session=True), so that stopping
one reaches its children (granian's workers, a Celery pool) and nothing else on the machine;
and servers started on free ports without the bind-close-reuse race."""

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator

from .waiting import wait_until


def stop_group(process: subprocess.Popen | None, timeout: float = 10.0) -> int | None:
    """SIGTERM to the process's group, wait up to `timeout`, then SIGKILL what is left of the
    group (its children too, whatever the leader did). Returns the exit code, if it came."""
    if process is None:
        return None
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        return process.wait(10)
    except subprocess.TimeoutExpired:
        return None


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago: bound to port 0, then released. Another process may
    take it before the server binds it, so start servers with `start_on_free_port`."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class _Exited(Exception):
    pass


def start_on_free_port(
    start: Callable[[int], subprocess.Popen],
    ready: Callable[[int], bool],
    *,
    host: str = "127.0.0.1",
    timeout: float = 60.0,
    attempts: int = 3,
    log: Callable[[], str] = str,
) -> tuple[subprocess.Popen, int]:
    """`start(port)` a server on a free port and wait until `ready(port)`. A server that exits
    while starting (its port taken meanwhile: the race of `free_port`) is started again on
    another port, `attempts` times at most. Returns the process and its port."""
    for attempt in range(1, attempts + 1):
        port = free_port(host)
        process = start(port)

        def up(process=process, port=port) -> bool:
            if process.poll() is not None:
                raise _Exited
            return ready(port)

        try:
            wait_until(up, timeout=timeout, what=f"a server answering on port {port}", details=log)
        except _Exited:
            stop_group(process)
            if attempt == attempts:
                raise RuntimeError(f"the server exited while starting:\n{log()[-4000:]}") from None
            continue
        except BaseException:
            stop_group(process)
            raise
        return process, port
    raise AssertionError("unreachable")


@contextlib.contextmanager
def refused_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port where connecting is refused for as long as the block runs: bound but never
    listening, so no other process can take it meanwhile."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        yield sock.getsockname()[1]
