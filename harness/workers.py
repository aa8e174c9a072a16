"""Real Celery worker processes for failure tests and benchmarks (stdlib + the project's deps).

    group = WorkerGroup(count=2, database_url=..., broker_url=..., log_dir=tmp)
    group.purge()           # stale messages from other tests / runs
    group.start()           # `celery -A panel worker`, prefork, concurrency 1 each, ready
    ...
    worker = group.worker_that_received(task_id) ; worker.kill_pool_children()
    group.wait_idle()       # queue empty and nothing unacknowledged
    group.stop()            # SIGTERM, then SIGKILL after a bound

Every wait is bounded. Processes are started in a session of their own, so stopping one ends
its pool children too; nothing else on the machine is ever signalled.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .processes import stop_group
from .waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "celery"  # the default queue every task of the panel goes to
# kombu's Redis transport keeps delivered-but-unacknowledged messages (acks_late) here.
UNACKED_KEYS = ("unacked", "unacked_index", "unacked_mutex")
# Short upstream limits, so that lost answers are decided in seconds, not a minute.
FAST_UPSTREAM = {
    "UPSTREAM_CONNECT_TIMEOUT": "1",
    "UPSTREAM_READ_TIMEOUT": "2",
    "UPSTREAM_DEADLINE": "3",
}
TASK_LINE = re.compile(
    r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]{36})\] (?P<event>received|succeeded)"
)


class WorkerError(RuntimeError):
    """A worker did not start, stop or settle in time."""


def database_url(settings_dict: Mapping) -> str:
    """A DATABASE_URL for Django's connection settings (the *test* database under pytest)."""
    engine = settings_dict["ENGINE"]
    if "postgresql" not in engine:
        raise WorkerError(f"workers need a server database (PostgreSQL), not {engine}")
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def _redis(broker_url: str):
    import redis

    if not broker_url.startswith(("redis://", "rediss://")):
        raise WorkerError(f"workers need a Redis broker, not {broker_url!r}")
    return redis.Redis.from_url(broker_url, socket_timeout=5, socket_connect_timeout=2)


def purge(broker_url: str) -> int:
    """Drop every waiting message of the default queue (and its priority lists) and the
    unacknowledged set. Call it while no worker of this broker runs. Returns what was dropped."""
    client = _redis(broker_url)
    try:
        keys = [key for key in client.scan_iter(match=f"{QUEUE}*") if client.type(key) == b"list"]
        dropped = sum(client.llen(key) for key in keys)
        if keys:
            client.delete(*keys)
        client.delete(*UNACKED_KEYS)
        return dropped
    finally:
        client.close()


def backlog(broker_url: str) -> tuple[int, int]:
    """(waiting messages, delivered but not yet acknowledged) on the broker."""
    client = _redis(broker_url)
    try:
        keys = [key for key in client.scan_iter(match=f"{QUEUE}*") if client.type(key) == b"list"]
        return sum(client.llen(key) for key in keys), client.hlen("unacked")
    finally:
        client.close()


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (the prefork pool's processes for a worker)."""
    found: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        for task in task_dir.iterdir():
            text = (task / "children").read_text()
            found += [int(p) for p in text.split()]
        return sorted(set(found))
    except OSError:
        pass
    result = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, timeout=10, check=False
    )
    return sorted(int(p) for p in result.stdout.split())


@dataclass
class Worker:
    name: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "panel", "worker",
            "--pool", "prefork", "--concurrency", "1",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-n", f"{self.name}@%h", "--loglevel", "INFO",
        ]  # fmt: skip

    @property
    def pid(self) -> int:
        if self.process is None:
            raise WorkerError(f"{self.name} is not running")
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        with self.log_path.open("ab") as log:
            self._ready_from = self.log_path.stat().st_size
            self.process = subprocess.Popen(  # noqa: S603 - our interpreter, our app
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() reaches the pool too
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the worker logged `ready.` and its pool process exists (bounded)."""

        def ready() -> bool:
            if not self.running:
                raise WorkerError(f"{self.name} exited while starting:\n{self.log()[-4000:]}")
            return " ready." in self.log(self._ready_from) and bool(children(self.pid))

        wait_until(
            ready, timeout=timeout, what=f"{self.name} ready", interval=0.1,
            details=lambda: self.log()[-4000:], error=WorkerError,
        )  # fmt: skip

    def pool_children(self) -> list[int]:
        return children(self.pid) if self.running else []

    def kill_pool_children(self, sig: int = signal.SIGKILL) -> list[int]:
        """Kill the pool process(es) running tasks; the main process survives and requeues the
        task (acks_late + reject_on_worker_lost), then forks a new pool process."""
        pids = self.pool_children()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        return pids

    def wait_pool_replaced(self, old: Iterable[int], timeout: float = 30.0) -> None:
        """Until a new pool process replaced the killed ones (bounded)."""
        old = set(old)

        def replaced() -> bool:
            if not self.running:
                raise WorkerError(f"{self.name} died:\n{self.log()[-4000:]}")
            return bool(set(self.pool_children()) - old)

        wait_until(
            replaced, timeout=timeout, what=f"{self.name} replacing its pool process",
            error=WorkerError,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (main process and pool) at once."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (warm shutdown), then SIGKILL to the whole group after `timeout`."""
        process, self.process = self.process, None
        return stop_group(process, timeout)

    # -- the log -------------------------------------------------------------------------

    def mark(self) -> int:
        """The log's current size: pass it to log() to see only what came after."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log(self, since: int = 0) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(since)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def task_events(self, since: int = 0) -> list[tuple[str, str, str]]:
        """(task name, task id, "received" | "succeeded") in log order."""
        return [(m["name"], m["id"], m["event"]) for m in TASK_LINE.finditer(self.log(since))]


class WorkerGroup:
    """N workers of one broker and one database."""

    def __init__(
        self,
        *,
        count: int,
        database_url: str,
        broker_url: str,
        log_dir: Path,
        extra_env: Mapping[str, str] | None = None,
        prefix: str = "w",
    ) -> None:
        self.broker_url = broker_url
        env = {
            **os.environ,
            **FAST_UPSTREAM,
            **(extra_env or {}),
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": os.environ.get("WORKER_LOG_LEVEL", "INFO"),
        }
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        log_dir.mkdir(parents=True, exist_ok=True)
        suffix = f"{os.getpid()}-{time.monotonic_ns()}"
        self.workers = [
            Worker(f"{prefix}{i}-{suffix}", dict(env), log_dir / f"{prefix}{i}.log")
            for i in range(1, count + 1)
        ]

    def __iter__(self):
        return iter(self.workers)

    def __enter__(self) -> WorkerGroup:
        self.purge()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def purge(self) -> int:
        return purge(self.broker_url)

    def start(self, timeout: float = 60.0) -> None:
        for worker in self.workers:  # started together, waited for together
            worker.start()
        for worker in self.workers:
            worker.wait_ready(timeout)

    def restart_dead(self, timeout: float = 60.0) -> list[Worker]:
        """Start again any worker whose main process died; returns them."""
        dead = [worker for worker in self.workers if not worker.running]
        for worker in dead:
            worker.stop()
            worker.start()
        for worker in dead:
            worker.wait_ready(timeout)
        return dead

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def marks(self) -> dict[str, int]:
        return {worker.name: worker.mark() for worker in self.workers}

    def log(self, marks: Mapping[str, int] | None = None) -> str:
        marks = marks or {}
        return "\n".join(
            f"--- {worker.name} ---\n{worker.log(marks.get(worker.name, 0))}"
            for worker in self.workers
        )

    def task_events(self, marks: Mapping[str, int] | None = None) -> dict[str, list]:
        marks = marks or {}
        return {w.name: w.task_events(marks.get(w.name, 0)) for w in self.workers}

    def worker_that_received(
        self, marks: Mapping[str, int], task: str = "orders.tasks.forward_order"
    ) -> tuple[Worker, str] | None:
        """The worker that received a `task` since `marks`, and that task's id (the latest)."""
        for worker in self.workers:
            received = [
                tid
                for name, tid, event in worker.task_events(marks.get(worker.name, 0))
                if name == task and event == "received"
            ]
            if received:
                return worker, received[-1]
        return None

    def wait_for_task(
        self, predicate, marks: Mapping[str, int] | None = None, timeout: float = 30.0
    ):
        """Until predicate(events by worker) is truthy; returns its value (bounded)."""
        return wait_until(
            lambda: predicate(self.task_events(marks)), timeout=timeout, what="such a task event",
            details=lambda: self.log(marks)[-6000:], error=WorkerError,
        )  # fmt: skip

    def succeeded(self, task_id: str, marks: Mapping[str, int] | None = None) -> bool:
        return any(
            tid == task_id and event == "succeeded"
            for events in self.task_events(marks).values()
            for _, tid, event in events
        )

    def wait_idle(self, timeout: float = 60.0, quiet_polls: int = 3) -> None:
        """Until the queue is empty and nothing is unacknowledged (acks_late: every delivered
        task finished), seen `quiet_polls` times in a row (bounded)."""
        quiet = 0

        def idle() -> bool:
            nonlocal quiet
            if not any(worker.running for worker in self.workers):
                raise WorkerError(f"no worker is running:\n{self.log()[-4000:]}")
            quiet = quiet + 1 if backlog(self.broker_url) == (0, 0) else 0
            return quiet >= quiet_polls

        wait_until(
            idle, timeout=timeout, what="the workers idle", interval=0.1, error=WorkerError,
            details=lambda: f"{backlog(self.broker_url)}\n{self.log()[-6000:]}",
        )  # fmt: skip


def restore_unacked(broker_url: str) -> None:
    """Put every delivered-but-unacknowledged message back on its queue, as kombu does once the
    Redis visibility timeout (1 h) has passed after its worker died with them. Only while no
    live worker holds an unacknowledged message of its own."""
    from kombu import Connection

    with Connection(broker_url, transport_options={"visibility_timeout": 0}) as conn:
        conn.default_channel.qos.restore_visible(num=10_000, interval=1)


def start_for_tests(count: int, log_dir: Path) -> WorkerGroup:
    """Workers on the test database (pytest-django's `test_<name>`) and the test broker.

    Call it after the test database was set up (depend on `django_db_setup`); skips the test
    when the suite does not run on PostgreSQL and Redis.
    """
    import pytest
    from django.conf import settings
    from django.db import connection

    broker = settings.CELERY_BROKER_URL
    if connection.vendor != "postgresql" or not broker.startswith("redis://"):
        pytest.skip("real workers need PostgreSQL and Redis (DATABASE_URL, CELERY_BROKER_URL)")
    group = WorkerGroup(
        count=count,
        database_url=database_url(connection.settings_dict),
        broker_url=broker,
        log_dir=log_dir,
    )
    group.purge()
    try:
        group.start()
    except BaseException:
        group.stop()
        raise
    return group
