"""The sandbox as a process: command line, port file, clean stop, restart on the same data."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sandbox.process import SandboxError, SandboxProcess

pytestmark = pytest.mark.slow  # every test starts sandbox processes

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def restartable():
    with SandboxProcess(services=100, seed=5, balance="50") as process:
        yield process


def add(process, service_id, quantity):
    data = {
        "key": process.key,
        "action": "add",
        "service": service_id,
        "link": "https://youtube.com/watch?v=abc",
        "quantity": quantity,
    }
    return requests.post(process.api_url, data=data, timeout=5).json()


def first_default(process):
    catalog = requests.post(process.api_url, data={"key": process.key, "action": "services"})
    return next(s for s in catalog.json() if s["type"] == "Default")


def test_it_refuses_connections_while_down_and_keeps_everything_after(restartable):
    service = first_default(restartable)
    placed = add(restartable, service["service"], service["min"])["order"]
    port = restartable.port
    balance = restartable.api("balance")["balance"]
    with restartable.down(), pytest.raises(requests.ConnectionError):
        requests.post(restartable.api_url, data={"action": "balance"}, timeout=2)
    assert restartable.port == port
    assert [row["id"] for row in restartable.orders()] == [placed]
    assert restartable.api("status", order=placed)["status"] in ("Pending", "In progress")
    assert restartable.api("balance")["balance"] == balance  # --balance applied only once
    assert add(restartable, service["service"], service["min"])["order"] > placed


def test_restart_keeps_the_clock_and_overrides(restartable):
    service = first_default(restartable)
    placed = add(restartable, service["service"], service["min"])["order"]
    restartable.advance(3600)
    restartable.override(placed, status="Weird")
    restartable.restart()
    assert restartable.api("status", order=placed)["status"] == "Weird"
    restartable.override(placed)
    assert restartable.api("status", order=placed)["status"] in ("Completed", "Partial", "Canceled")


def test_faults_given_at_start(tmp_path):
    faults = {
        "error_rate": 1,
        "actions": ["add"],
        "error_message": "Service is temporarily disabled",
    }
    with SandboxProcess(services=50, faults=faults, db=tmp_path / "db.sqlite3") as process:
        service = first_default(process)
        assert add(process, service["service"], service["min"]) == {
            "error": "Service is temporarily disabled"
        }
        assert process.control("GET", "/control/faults")["actions"] == ["add"]


def test_the_command_line_prints_its_url_writes_the_port_and_stops_on_sigterm(tmp_path):
    port_file = tmp_path / "port"
    command = [
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--db",
        str(tmp_path / "db.sqlite3"),
        "--services",
        "20",
    ]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        port = int(port_file.read_text())
        assert line == f"sandbox listening on http://127.0.0.1:{port}/api/v2\n"
        health = requests.get(f"http://127.0.0.1:{port}/control/health", timeout=5)
        assert health.json() == {"ok": True}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()


def test_a_bad_fault_flag_exits_with_usage_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--db", str(tmp_path / "db"), "--fault", "nope=1"],
        cwd=REPO,
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert b"unknown fault" in result.stderr


def test_a_start_that_fails_raises_with_the_output(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    process = SandboxProcess(services=10, db=blocker / "db.sqlite3", startup_timeout=20)
    try:
        with pytest.raises(SandboxError, match="exited while starting"):
            process.start()
    finally:
        process.close()


def test_the_demo_speed_finishes_an_order_within_a_minute(tmp_path):
    """At --speed 60 the longest order (30 simulated minutes) takes 30 real seconds."""
    with SandboxProcess(services=50, speed=60, db=tmp_path / "db.sqlite3") as process:
        clock = process.control("GET", "/control/clock")
        time.sleep(0.5)
        later = process.control("GET", "/control/clock")
        assert later["speed"] == 60
        assert later["now"] - clock["now"] >= 25  # 0.5 s real is about 30 s simulated
