"""The README's run command starts the whole embedded panel and serves the services page."""

import json
import os
import re
import signal
import socket
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from harness.processes import free_port
from harness.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.read().decode()
    except OSError:
        return None


def make_run(tmp_path, port: int, sandbox_port: int, gateways_port: int):
    """`make run` on these ports, in a session of its own; its output goes to run.log."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        PANEL_VAR_DIR=str(tmp_path / "var"),
        PANEL_PORT=str(port),
        SANDBOX_PORT=str(sandbox_port),
        GATEWAYS_PORT=str(gateways_port),
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
    return process, log


def serving(process, port: int) -> str | None:
    """The services page once it lists services, or None while starting (bounded by the
    caller); raises if `make run` exited."""
    page = fetch(f"http://127.0.0.1:{port}/services")
    if page and 'class="category"' in page:
        return page
    if process.poll() is not None:
        raise ChildProcessError(f"make run exited with {process.returncode}")
    return None


def tail(log) -> str:
    log.seek(0)
    return log.read()[-4000:]


def stop(process) -> None:
    """Ctrl-C, as a person would; SIGKILL if it does not stop in 30 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise


def started(tmp_path):
    """`make run` serving its services page: (process, log, page, ports).

    Free ports are picked by binding port 0 and releasing it: another process may take one
    before `make run` binds it. Then it exits at once, and it runs again on other ports."""
    for attempt in range(3):
        ports = port, sandbox_port, gateways_port = free_port(), free_port(), free_port()
        process, log = make_run(tmp_path, port, sandbox_port, gateways_port)
        try:
            page = wait_until(
                lambda: serving(process, port), timeout=180, interval=1,
                what="make run serving the services page",  # install, migrate and sync
                details=lambda: tail(log),
            )  # fmt: skip
        except ChildProcessError as exc:
            if "in use" not in tail(log) or attempt == 2:
                raise AssertionError(f"{exc}:\n{tail(log)}") from None
            continue
        except BaseException:
            stop(process)
            raise
        return process, log, page, ports
    raise AssertionError("unreachable")


@pytest.mark.slow
def test_make_run_serves_the_synced_catalog(tmp_path):
    process, log, page, ports = started(tmp_path)
    port = ports[0]
    try:
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
        pay_by_card_at_the_fake_gateway(f"http://127.0.0.1:{port}", amount="20")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2", body, timeout=5) as response:  # noqa: S310
            assert json.loads(response.read()) == {"balance": "120.00", "currency": "USD"}
    finally:
        stop(process)
    # Ctrl-C stopped every process it started: the ports are free again.
    for p in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", p)) != 0


def pay_by_card_at_the_fake_gateway(url: str, *, amount: str) -> None:
    """The demo customer adds funds with Stripe Checkout, served by the fake gateways."""
    import requests

    browser = requests.Session()

    def form_post(path: str, data: dict) -> requests.Response:
        page = browser.get(f"{url}{path}", timeout=10).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return browser.post(
            f"{url}{path}", {"csrfmiddlewaretoken": token, **data}, allow_redirects=False,
            timeout=30,
        )  # fmt: skip

    form_post("/login", {"username": "demo", "password": "demo-customer"})
    checkout = form_post("/funds", {"method": "stripe", "stripe-currency": "USD",
                                    "stripe-amount": amount})  # fmt: skip
    assert checkout.status_code == 302, checkout.text[:2000]
    back = browser.post(f"{checkout.headers['Location']}/pay", allow_redirects=False, timeout=10)
    payment = browser.get(back.headers["Location"], timeout=30)
    assert payment.status_code == 200 and 'id="payment-status">Paid<' in payment.text
