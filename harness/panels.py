"""A second panel run as real processes, for tests that chain panels (stdlib + project deps).

    panel = PanelProcess(name="b", database_url=..., broker_url=..., work_dir=tmp)
    panel.create_database()      # DROP … WITH (FORCE), CREATE
    panel.migrate()
    info = panel.shell_json("…; print(json.dumps({...}))")   # `manage.py shell -c` in its env
    panel.start()                # granian WSGI on a free 127.0.0.1 port + one Celery worker
    panel.api("balance", key=...)
    panel.stop()                 # SIGTERM, then SIGKILL after a bound; the whole process groups
    panel.drop_database()

Every wait is bounded. Each process runs in a session of its own, so stopping it reaches its
children (granian workers, the prefork pool) and nothing else on the machine.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .processes import start_on_free_port, stop_group
from .waiting import wait_until
from .workers import database_url, purge

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class PanelError(RuntimeError):
    """A panel process did not start, stop or answer as expected."""


def server_database_url(settings_dict: Mapping, name: str) -> str:
    """A DATABASE_URL on the same PostgreSQL server as `settings_dict`, for database `name`."""
    return database_url({**settings_dict, "NAME": name})


class PanelProcess:
    """One panel: its own database, broker (a Redis db), var dir, web server and worker."""

    def __init__(
        self,
        *,
        name: str,
        database_url: str,
        broker_url: str,
        work_dir: Path,
        extra_env: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        if not broker_url.startswith("redis://"):
            raise PanelError(f"a second panel needs a Redis broker, not {broker_url!r}")
        self.name = name
        self.database_url = database_url
        self.broker_url = broker_url
        self.host = host
        self.port: int | None = None
        self.work_dir = Path(work_dir)
        (self.work_dir / "var").mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "RATELIMIT_REDIS_URL": broker_url,
            "PANEL_VAR_DIR": str(self.work_dir / "var"),
            "DJANGO_SETTINGS_MODULE": "panel.settings",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
            **(extra_env or {}),
        }
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        self.env = env
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise PanelError(f"panel {self.name} has no web server running")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v2"

    def log_path(self, what: str) -> Path:
        return self.work_dir / f"{self.name}-{what}.log"

    def log(self, what: str) -> str:
        try:
            return self.log_path(what).read_text(errors="replace")
        except OSError:
            return ""

    # -- database --------------------------------------------------------------------------

    def _admin(self):
        import psycopg

        base, name = self.database_url.rsplit("/", 1)
        return psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5), name

    def create_database(self) -> None:
        """Drop the database if a previous run left it, and create it empty."""
        conn, name = self._admin()
        with conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')

    def drop_database(self) -> None:
        conn, name = self._admin()
        with conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # -- management commands --------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        """`manage.py <args>` in this panel's environment; a failure raises with its output."""
        try:
            done = subprocess.run(  # noqa: S603 - our interpreter, our manage.py
                [sys.executable, str(ROOT / "manage.py"), *args],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PanelError(
                f"panel {self.name}: manage.py {args[0]} took over {timeout}s"
            ) from exc
        if done.returncode != 0:
            raise PanelError(
                f"panel {self.name}: manage.py {args[0]} exited {done.returncode}\n"
                f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
            )
        return done

    def migrate(self) -> None:
        self.manage("migrate", "--no-input", "-v", "0", timeout=300)

    def shell(self, code: str, timeout: float = 120.0) -> str:
        """Run `code` with `manage.py shell -c`; returns what it printed."""
        return self.manage("shell", "-c", code, timeout=timeout).stdout

    def shell_json(self, code: str, timeout: float = 120.0) -> Any:
        """Run `code`, whose last printed line is JSON, and decode that line."""
        out = self.shell(code, timeout=timeout)
        lines = [line for line in out.splitlines() if line.strip()]
        if not lines:
            raise PanelError(f"panel {self.name}: the shell printed nothing")
        return json.loads(lines[-1])

    # -- processes -------------------------------------------------------------------------

    def _spawn(self, command: list[str], what: str) -> subprocess.Popen:
        with self.log_path(what).open("ab") as log:
            return subprocess.Popen(  # noqa: S603 - our interpreter's tools, our app
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() reaches its children
            )

    def start(self, *, worker: bool = True, timeout: float = 60.0) -> None:
        """The web server (granian WSGI, 1 worker, 1 blocking thread) and, unless told not to,
        one Celery worker (prefork, concurrency 1); returns once both answer."""
        purge(self.broker_url)  # what an earlier, interrupted run may have left
        self.web, self.port = start_on_free_port(
            self._start_web, self._web_answers, host=self.host, timeout=timeout,
            log=lambda: self.log("web"),
        )  # fmt: skip
        if worker:
            self.worker = self._spawn(
                [sys.executable, "-m", "celery", "-A", "panel", "worker", "--pool", "prefork",
                 "--concurrency", "1", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "-n", f"panel-{self.name}-{os.getpid()}@%h",
                 "--loglevel", "INFO"],
                "worker",
            )  # fmt: skip
            wait_until(
                self._worker_ready, timeout=timeout, what=f"panel {self.name}'s worker ready",
                interval=0.1, details=lambda: self.log("worker")[-4000:], error=PanelError,
            )  # fmt: skip

    def _start_web(self, port: int) -> subprocess.Popen:
        self.port = port
        return self._spawn(
            [str(BIN / "granian"), "--interface", "wsgi", "--host", self.host,
             "--port", str(port), "--workers", "1", "--blocking-threads", "1",
             "--log-level", "warning", "panel.wsgi:application"],
            "web",
        )  # fmt: skip

    def _web_answers(self, port: int) -> bool:
        try:
            answer = self.api("balance", key="")
        except (OSError, http.client.HTTPException, ValueError):
            return False
        if answer != {"error": "Invalid API key"}:
            raise PanelError(f"panel {self.name}: unexpected answer {answer!r}")
        return True

    def _worker_ready(self) -> bool:
        if self.worker is None or self.worker.poll() is not None:
            raise PanelError(f"panel {self.name}: worker exited\n{self.log('worker')[-4000:]}")
        return " ready." in self.log("worker")

    def stop(self) -> None:
        """Stop the worker and the web server (SIGTERM, SIGKILL after a bound), then drop
        whatever the worker left in its queue."""
        worker, self.worker = self.worker, None
        web, self.web = self.web, None
        stop_group(worker)
        stop_group(web)
        with contextlib.suppress(Exception):  # Redis gone: nothing to clean
            purge(self.broker_url)

    # -- HTTP ------------------------------------------------------------------------------

    def api(self, action: str, *, key: str, timeout: float = 30.0, **fields: Any) -> Any:
        """POST one API v2 request, form-encoded, and decode the JSON answer."""
        body = urllib.parse.urlencode({"key": key, "action": action, **fields})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(
                "POST",
                "/api/v2",
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()
