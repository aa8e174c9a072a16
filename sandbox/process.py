"""Drive a sandbox process from tests, benchmarks and ``make run`` (stdlib only).

with SandboxProcess(services=2000, speed=1.0) as sb:
    order = sb.api("add", service=1, link="https://instagram.com/x", quantity=100)
    sb.advance(3600)
    with sb.down():
        ...  # the upstream refuses connections here
    assert sb.orders()[0]["id"] == order["order"]
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KEY = "sandbox-demo-key"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _load_prctl() -> Any:
    """libc's prctl, loaded once in the parent: a forked child must not load libraries."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` for Popen: the child is sent SIGTERM when the process that started it
    dies, however it dies (hang-up, SIGTERM, SIGKILL), so no process outlives `make run`
    holding its ports. Linux only (None elsewhere). The kernel ties the signal to the thread
    that forks: start children from the main thread only."""
    if _PRCTL is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the prctl took effect
            os._exit(1)

    return preexec


class SandboxError(RuntimeError):
    """The sandbox did not start, or a control call failed."""


class SandboxProcess:
    def __init__(
        self,
        *,
        services: int = 5000,
        speed: float = 1.0,
        key: str = DEFAULT_KEY,
        seed: int = 1,
        balance: str | None = None,
        db: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Mapping[str, Any] | None = None,
        startup_timeout: float = 30.0,
        die_with_parent: bool = False,
    ) -> None:
        self.services = services
        self.speed = speed
        self.key = key
        self.seed = seed
        self.balance = balance
        self.host = host
        self.port = port
        self.faults = dict(faults or {})
        self.startup_timeout = startup_timeout
        self.die_with_parent = die_with_parent  # `make run`: killed with its supervisor
        self._tmp = Path(tempfile.mkdtemp(prefix="sandbox-"))
        self.db = Path(db) if db is not None else self._tmp / "sandbox.sqlite3"
        self._port_file = self._tmp / "port"
        self._log = self._tmp / "sandbox.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_once = False
        self._log_start = 0

    # -- process ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v2"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> SandboxProcess:
        """Start (again, on the same port and db after the first time) and wait until healthy."""
        if self.running:
            return self
        deadline = time.monotonic() + self.startup_timeout
        while True:
            self._spawn()
            try:
                self._wait_healthy(deadline)
            except _PortBusy:
                # The previous process's port may take a moment to be free again.
                if time.monotonic() > deadline:
                    raise SandboxError(f"port {self.port} stayed busy\n{self.output()}") from None
                time.sleep(0.2)
                continue
            self._started_once = True
            return self

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, wait, SIGKILL if it does not go."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)

    def restart(self) -> None:
        self.stop()
        self.start()

    def up(self) -> None:
        """Start again after ``stop()`` or inside ``down()``: same port, same database."""
        self.start()

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """Connections are refused inside the block; the provider comes back after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def close(self) -> None:
        """Stop and remove the temporary directory (and the database, if it lives there)."""
        self.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def output(self) -> str:
        """What the process printed (stdout and stderr), for error messages."""
        try:
            return self._log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--port-file",
            str(self._port_file),
            "--db",
            str(self.db),
            "--services",
            str(self.services),
            "--seed",
            str(self.seed),
            "--speed",
            str(self.speed),
            "--key",
            self.key,
        ]
        if self.balance is not None and not self._started_once:
            command += ["--balance", str(self.balance)]  # only once: restarts keep the balance
        for name, value in self.faults.items():
            if isinstance(value, list | tuple):
                value = ",".join(map(str, value))
            command += ["--fault", f"{name}={value}"]
        return command

    def _spawn(self) -> None:
        self._port_file.unlink(missing_ok=True)
        path = [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))}
        self._log_start = self._log.stat().st_size if self._log.exists() else 0
        with self._log.open("ab") as log:
            self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                self._command(), stdout=log, stderr=subprocess.STDOUT, env=env,
                preexec_fn=die_with_parent() if self.die_with_parent else None,
            )  # fmt: skip

    def _wait_healthy(self, deadline: float) -> None:
        assert self._proc is not None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                attempt = self._log.read_bytes()[self._log_start :].decode(errors="replace")
                if "Address already in use" in attempt and self._started_once:
                    raise _PortBusy
                raise SandboxError(f"the sandbox exited while starting:\n{attempt[-4000:]}")
            if self._port_file.exists():
                self.port = int(self._port_file.read_text())
                with contextlib.suppress(OSError, SandboxError):
                    if self.control("GET", "/control/health").get("ok"):
                        return
            time.sleep(0.05)
        self.stop()
        raise SandboxError(
            f"the sandbox was not healthy within {self.startup_timeout}s:\n{self.output()}"
        )

    # -- HTTP helpers ---------------------------------------------------------------------

    def control(self, method: str, path: str, payload: Any = None, timeout: float = 60.0) -> Any:
        """Call a control endpoint; an error status raises SandboxError with the answer."""
        data = None if method == "GET" else json.dumps(payload).encode()
        # The URL is always http://host:port built here, never user input: S310 does not apply.
        request = urllib.request.Request(  # noqa: S310
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise SandboxError(f"{method} {path}: {error.code} {error.read()!r}") from None

    def api(
        self, action: str, *, key: str | None = None, timeout: float = 60.0, **fields: Any
    ) -> Any:
        """POST one API v2 request (form-encoded) and decode the JSON answer."""
        form = {"key": self.key if key is None else key, "action": action}
        form.update({name: str(value) for name, value in fields.items()})
        data = urllib.parse.urlencode(form).encode()
        with urllib.request.urlopen(self.api_url, data=data, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())

    def health(self) -> bool:
        try:
            return bool(self.control("GET", "/control/health", timeout=2.0).get("ok"))
        except (OSError, SandboxError):
            return False

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """Replace the fault set, e.g. ``set_faults(drop_rate=1.0, actions=["add"])``."""
        return self.control("POST", "/control/faults", faults)

    def clear_faults(self) -> dict[str, Any]:
        return self.control("POST", "/control/faults", {})

    def orders(self, after: int = 0) -> list[dict[str, Any]]:
        """Every accepted ``add`` (the judge of duplicate sends)."""
        return self.control("GET", f"/control/orders?after={after}")

    def order(self, order_id: int) -> dict[str, Any]:
        """One order as the sandbox sees it: true status, status answer, override."""
        return self.control("GET", f"/control/orders/{order_id}")

    def override(self, order_id: int, **fields: Any) -> dict[str, Any]:
        """Make ``status`` report raw values for one order; no fields clears the override."""
        return self.control("POST", f"/control/orders/{order_id}", fields or None)

    def set_outcome(self, order_id: int, outcome: str | None) -> dict[str, Any]:
        """Force how a plain order really ends ("Completed", "Partial", "Canceled", None)."""
        return self.control("POST", f"/control/orders/{order_id}", {"outcome": outcome})

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.control("POST", "/control/clock", {"advance": seconds})

    def set_speed(self, speed: float) -> dict[str, Any]:
        self.speed = speed  # a restart keeps it
        return self.control("POST", "/control/clock", {"speed": speed})

    def seed_orders(
        self, count: int, *, service: int | None = None, quantity: int = 1000
    ) -> dict[str, int]:
        """Bulk-create orders (not charged, not in ``orders()``): ``{"first": id, "last": id}``."""
        payload: dict[str, Any] = {"count": count, "quantity": quantity}
        if service is not None:
            payload["service"] = service
        return self.control("POST", "/control/seed_orders", payload)

    def catalog(self, **changes: Any) -> dict[str, Any]:
        """``catalog(services=20000, seed=2)``, ``catalog(remove=[1])``,
        ``catalog(rates={"1": "1.5"})``, ``catalog(break_="html")``; no argument reads it."""
        if "break_" in changes:
            changes["break"] = changes.pop("break_")
        if not changes:
            return self.control("GET", "/control/catalog")
        answer = self.control("POST", "/control/catalog", changes)
        self.services, self.seed = answer["services"], answer["seed"]  # a restart keeps them
        return answer

    def set_balance(self, balance: str | int | float) -> dict[str, Any]:
        return self.control("POST", "/control/balance", {"balance": str(balance)})

    def reset(self) -> dict[str, Any]:
        """Clear orders, refills, faults, overrides, catalog breakage and the clock offset."""
        return self.control("POST", "/control/reset", {})


class _PortBusy(Exception):
    pass
