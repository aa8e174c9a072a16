"""`make run` cleans up after itself: its children die with the supervisor however it ends
(a hang-up when the terminal closes, or SIGKILL), and a run that finds its ports taken says so
and stops before printing any login. Before, a stale server kept answering on port 8000 and
the next run's printed API key was refused with "Invalid API key"."""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from harness.processes import free_port
from harness.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


class Run:
    """`manage.py rundemo` (what `make run` runs) on the given ports, in a session of its own."""

    def __init__(self, tmp_path: Path, name: str, ports: tuple[int, int, int]):
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
        }
        self.port, sandbox_port, gateways_port = ports
        env.update(
            PANEL_VAR_DIR=str(tmp_path / "var"),  # the same database from run to run
            PANEL_PORT=str(self.port),
            SANDBOX_PORT=str(sandbox_port),
            GATEWAYS_PORT=str(gateways_port),
        )
        self.ports = ports
        self.children: set[int] = set()
        self.log = open(tmp_path / f"{name}.log", "w+")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "rundemo"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def serving(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"rundemo exited early:\n{self.output()[-4000:]}")
        return "key of demo:" in self.output() and _answers(self.port)

    def wait_serving(self) -> None:
        wait_until(self.serving, timeout=240, interval=1, what="rundemo serving",
                   details=lambda: self.output()[-4000:])  # fmt: skip

    def key(self) -> str:
        return re.search(r"key of demo: (\S+)", self.output()).group(1)

    def stop(self) -> None:
        """Whatever is left, even when the test failed: the supervisor and every child seen."""
        if self.process.poll() is None:
            self.children |= descendants(self.process.pid)
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for pid in alive(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):  # noqa: S310
            return True
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """Every live process under `pid` (children in sessions of their own included)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and stat[0] != "Z":
                parents[int(entry.name)] = stat[1]
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid), or None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = text.rsplit(")", 1)[1].split()[:2]
    return state, int(ppid)


def alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if (stat := _stat(pid)) and stat[0] != "Z"}


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ends_with_nothing_left(run: Run, how: int) -> None:
    run.wait_serving()
    run.children = children = descendants(run.process.pid)
    assert len(children) >= 5  # sandbox, fake gateways, web, worker, beat (and their own)
    os.kill(run.process.pid, how)  # the supervisor only, as a closed terminal or `kill -9`
    run.process.wait(timeout=60)
    wait_until(lambda: not alive(children), timeout=60, interval=0.5,
               what="every child of rundemo gone", details=lambda: str(alive(children)))  # fmt: skip
    assert not [port for port in run.ports if port_taken(port)]


def balance(port: int, key: str) -> dict:
    body = urllib.parse.urlencode({"key": key, "action": "balance"}).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2", body, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())


def test_children_die_with_the_supervisor_and_the_next_run_serves_its_key(tmp_path):
    ports = free_port(), free_port(), free_port()
    runs = []
    try:
        runs.append(first := Run(tmp_path, "hangup", ports))
        ends_with_nothing_left(first, signal.SIGHUP)
        runs.append(second := Run(tmp_path, "killed", ports))
        ends_with_nothing_left(second, signal.SIGKILL)
        runs.append(third := Run(tmp_path, "third", ports))
        third.wait_serving()
        assert balance(third.port, third.key()) == {"balance": "100.00", "currency": "USD"}
    finally:
        for run in runs:
            run.stop()


def test_a_run_that_finds_its_port_taken_says_so_and_prints_no_login(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        run = Run(tmp_path, "taken", (taken, free_port(), free_port()))
        try:
            assert run.process.wait(timeout=120) != 0
        finally:
            run.stop()
    output = run.output()
    assert f"Port {taken} (web) already in use" in output
    assert "key of demo" not in output and "admin-demo" not in output
    assert "Sandbox provider synced" not in output  # stopped before starting anything
