"""The README's run command starts the whole embedded panel and serves the services page."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.read().decode()
    except OSError:
        return None


@pytest.mark.slow
def test_make_run_serves_the_synced_catalog(tmp_path):
    port, sandbox_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        PANEL_VAR_DIR=str(tmp_path / "var"), PANEL_PORT=str(port), SANDBOX_PORT=str(sandbox_port)
    )
    log = open(tmp_path / "run.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        page = None
        for _ in range(180):  # bounded: up to about 3 minutes for install, migrate and sync
            page = fetch(f"http://127.0.0.1:{port}/services")
            if page and 'class="category"' in page or process.poll() is not None:
                break
            time.sleep(1)
        log.seek(0)
        output = log.read()
        assert page and 'class="category"' in page, output
        assert page.count('<details class="category"') > 40  # 5,000 services, by category
        found = fetch(f"http://127.0.0.1:{port}/services/search?q=instagram+followers")
        assert found.count('class="service"') > 50
        assert "admin / admin-demo" in output and "demo / demo-customer" in output
        # The printed API key works at once, with the demo funds.
        key = re.search(r"key of demo: (\S+)", output).group(1)
        body = urllib.parse.urlencode({"key": key, "action": "balance"}).encode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2", body, timeout=5) as response:  # noqa: S310
            assert json.loads(response.read()) == {"balance": "100.00", "currency": "USD"}
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    # Ctrl-C stopped every process it started: the ports are free again.
    for p in (port, sandbox_port):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", p)) != 0
