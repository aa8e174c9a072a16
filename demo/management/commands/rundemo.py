"""`make run`: the whole panel in the foreground — sandbox, web, worker and beat.

Checks its ports are free (a `make run` still running, or anything else, holds them: it says
so and stops before printing any login), migrates, creates the demo logins, registers and
syncs the sandbox provider, then runs every process until Ctrl-C, SIGTERM or a hang-up (or
until one of them dies), and stops them all. Every child is also started to die with it
(PR_SET_PDEATHSIG): killed outright, it leaves no process holding the ports.
"""

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command

from demo.gateways import demo_gateways
from demo.setup import DEMO_ADMIN, DEMO_CUSTOMER, setup_demo
from sandbox.process import SandboxProcess, die_with_parent


class Command(BaseCommand):
    help = "Run the embedded panel: sandbox provider, web, worker and beat, in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("PANEL_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PANEL_PORT", 8000)))
        parser.add_argument(
            "--sandbox-port", type=int, default=int(os.environ.get("SANDBOX_PORT", 8765))
        )
        parser.add_argument("--sandbox-speed", type=float, default=60.0)
        parser.add_argument(  # the fake payment gateways (fakegateways/)
            "--gateways-port", type=int, default=int(os.environ.get("GATEWAYS_PORT", 8766))
        )

    def handle(self, *args, host, port, sandbox_port, sandbox_speed, gateways_port, **options):
        # Ctrl-C and SIGTERM both stop everything, even when started from a script that left
        # SIGINT ignored for background jobs.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGHUP, _interrupt)  # the terminal closed
        busy = _ports_in_use(
            host, {"web": port, "sandbox": sandbox_port, "payment gateways": gateways_port}
        )
        if busy:
            raise CommandError(
                f"Port {busy} already in use: another `make run` (or something else) is still "
                "running there. Stop it, or choose other ports with PANEL_PORT, SANDBOX_PORT "
                "and GATEWAYS_PORT. Nothing was started."
            )
        # One step to try it: the demo admin asks for no second factor unless told to.
        os.environ.setdefault("ADMIN_REQUIRE_2FA", "off")
        sandbox = SandboxProcess(
            port=sandbox_port,
            db=str(Path(settings.VAR_DIR) / "sandbox.sqlite3"),
            services=5000,
            speed=sandbox_speed,
            die_with_parent=True,
        )
        sandbox.start()
        processes: list[subprocess.Popen] = []
        try:
            call_command("migrate", interactive=False, verbosity=0)
            demo = setup_demo(api_url=sandbox.api_url, api_key=sandbox.key)
            self.stdout.write(f"Sandbox provider synced: {demo.sync}")
            # Payments: the fake gateways, and the web processes pointed at them.
            with demo_gateways(port=gateways_port, panel_url=f"http://{host}:{port}") as env:
                os.environ.update(env)
                self.stdout.write(f"Fake payment gateways: {env['PAYMENT_GATEWAY_URLS']}")
                processes = [self._spawn(command) for command in self._commands(host, port)]
                self._banner(host, port, sandbox, demo.api_key)
                self._supervise(processes)
        except KeyboardInterrupt:
            pass
        finally:
            self.stdout.write("Stopping…")
            for process in processes:
                _stop(process)
            sandbox.close()

    def _commands(self, host: str, port: int) -> list[list[str]]:
        bin_dir = Path(sys.executable).parent
        return [
            [str(bin_dir / "granian"), "--interface", "wsgi", "--host", host, "--port", str(port),
             "--workers", "1", "--blocking-threads", "1", "--log-level", "warning",
             "panel.wsgi:application"],
            [str(bin_dir / "celery"), "-A", "panel", "worker", "--loglevel", "INFO",
             "--concurrency", "2", "--without-gossip", "--without-mingle"],
            [str(bin_dir / "celery"), "-A", "panel", "beat", "--loglevel", "INFO"],
        ]  # fmt: skip

    def _spawn(self, command: list[str]) -> subprocess.Popen:
        # Own process group: Ctrl-C reaches us once and we stop the children in order.
        # The demo polls every 10 s (not every minute), so an order visibly completes soon.
        env = {**os.environ, "POLL_SECONDS": os.environ.get("POLL_SECONDS", "10")}
        return subprocess.Popen(  # noqa: S603
            command, cwd=settings.BASE_DIR, env=env, start_new_session=True,
            preexec_fn=die_with_parent(),  # SIGTERM when this supervisor dies, however
        )  # fmt: skip

    def _banner(self, host: str, port: int, sandbox: SandboxProcess, api_key: str) -> None:
        url = f"http://{host}:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nPanel running at {url}/\n"
                f"  Admin:    {url}/admin/  login {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}\n"
                f"            {_second_factor_note()}\n"
                f"  Customer: {url}/  login {DEMO_CUSTOMER[0]} / {DEMO_CUSTOMER[1]}\n"
                f"  Sandbox provider: {sandbox.api_url}\n"
                f"  API:      {url}/api/v2  key of {DEMO_CUSTOMER[0]}: {api_key}\n"
                f"    try:    curl -s -d key={api_key} -d action=balance {url}/api/v2\n"
                "Ctrl-C stops everything.\n"
            )
        )

    def _supervise(self, processes: list[subprocess.Popen]) -> None:
        while True:
            for process in processes:
                if process.poll() is not None:
                    self.stderr.write(f"{process.args[0]} exited ({process.returncode}); stopping")
                    return
            time.sleep(0.5)


def _second_factor_note() -> str:
    if env_flag(os.environ.get("ADMIN_REQUIRE_2FA", "off")):
        return "second factor (2FA) required: the first admin login sets it up"
    return "second factor (2FA) OFF in this demo; production requires it (ADMIN_REQUIRE_2FA)"


def env_flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "on", "yes", "y"}


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _ports_in_use(host: str, ports: dict[str, int]) -> str:
    """The first port something listens on, as "8000 (web)"; "" if all are free. A bind
    with SO_REUSEADDR fails only for a port that is really taken (not one in TIME_WAIT)."""
    for what, port in ports.items():
        if not port:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return f"{port} ({what})"
                raise
    return ""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # the main process; celery and granian stop their own children
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
