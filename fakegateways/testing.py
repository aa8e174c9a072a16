"""Drive a fake-gateways process from tests, benchmarks and ``make run`` (stdlib only).

with FakeGateways(panel_url=live_server.url) as fakes:
    settings.PAYMENT_GATEWAY_URLS = fakes.gateway_urls
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from .state import DEMO_SECRETS

REPO_ROOT = Path(__file__).resolve().parent.parent


class FakeGateways:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, panel_url: str = ""):
        self.host, self.port, self.panel_url = host, port, panel_url
        self.secrets = dict(DEMO_SECRETS)
        self._tmp = Path(tempfile.mkdtemp(prefix="fakegateways-"))
        self._proc: subprocess.Popen[bytes] | None = None
        self.preexec_fn = None  # run in the child before exec (see sandbox.process.die_with_parent)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def gateway_urls(self) -> dict[str, str]:
        """PAYMENT_GATEWAY_URLS pointing every gateway at this process."""
        return {code: f"{self.url}/{code}" for code in ("razorpay", "stripe", "nowpayments")}

    def start(self, timeout: float = 20.0) -> FakeGateways:
        port_file = self._tmp / "port"
        command = [
            sys.executable, "-m", "fakegateways", "--host", self.host, "--port", str(self.port),
            "--port-file", str(port_file), "--panel-url", self.panel_url,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        log = (self._tmp / "log").open("ab")
        self._proc = subprocess.Popen(  # noqa: S603
            command, stdout=log, stderr=subprocess.STDOUT, env=env,
            preexec_fn=self.preexec_fn,  # `make run`: die with the supervisor
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"fake gateways exited: {(self._tmp / 'log').read_text()}")
            if port_file.exists() and port_file.read_text():
                self.port = int(port_file.read_text())
                try:
                    self.control("GET", "/health")
                    return self
                except OSError:
                    pass
            time.sleep(0.05)
        self.close()
        raise RuntimeError("fake gateways did not start")

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> FakeGateways:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def control(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if method == "GET" else json.dumps(payload or {}).encode()
        request = urllib.request.Request(  # noqa: S310 - our own process on 127.0.0.1
            f"{self.url}/control{path}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return json.loads(answer.read())

    def configure(self, *, panel_url: str | None = None, copies: int | None = None,
                  secrets: dict[str, str] | None = None) -> Any:  # fmt: skip
        payload: dict[str, Any] = {}
        if panel_url is not None:
            payload["panel_url"] = panel_url
        if copies is not None:
            payload["copies"] = copies
        if secrets:
            self.secrets.update(secrets)
            payload["secrets"] = secrets
        return self.control("POST", "/config", payload)

    def reverse(self, gateway: str, payment_id: str, *, kind: str = "refund",
                amount: int | str | None = None) -> Any:  # fmt: skip
        body = {"gateway": gateway, "payment_id": payment_id, "amount": amount}
        return self.control("POST", f"/{kind}", body)

    def deliveries(self) -> list[dict[str, Any]]:
        return self.control("GET", "/deliveries")

    def wait_deliveries(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.deliveries()
            if len(done) >= count:
                return done
            time.sleep(0.05)
        return self.deliveries()
