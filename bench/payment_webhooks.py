"""Payment webhooks under concurrent duplicate deliveries, over HTTP, against the production
server setup.

    .venv/bin/python bench/payment_webhooks.py [--payments 1000] [--copies 5] [--clients 50]
        [--gateway stripe|razorpay|nowpayments|all] [--workers 2]

Granian WSGI as the Dockerfile runs it (2 workers, 1 blocking thread each) on the PostgreSQL
database `panel_bench` (bench/_setup.py). Each run opens `--payments` payments of its own
customer, signs each one's "paid" webhook as the gateway would, and sends every webhook
`--copies` times through `--clients` keep-alive connections at once, copies of the same
webhook side by side so that they race. Every answer must be 200; afterwards the customer must
have exactly one deposit per payment and the balance their sum. Prints requests/s, p50, p99.
Nothing is truncated (other benchmarks share the database); the gateway rows it configures are
switched off at the end.
"""

import argparse
import http.client
import json
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from _setup import ROOT, setup_django

AMOUNT = Decimal("10.00")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(code: str, count: int, run: str) -> tuple[int, list[tuple[str, dict[str, str]]]]:
    """This run's customer, `count` payments opened at `code`, and each one's signed webhook."""
    from accounts.models import Payment, User
    from payments.models import Gateway

    sys.path.insert(0, str(ROOT))
    from harness import webhooks as signed

    secret = f"bench-{secrets.token_hex(8)}"
    gateway = Gateway.objects.get_or_create(code=code, defaults={"name": code})[0]
    gateway.enabled, gateway.webhook_secret, gateway.api_secret = True, secret, "unused"
    gateway.save()
    user = User.objects.create_user(f"bench-{code}-{run}", f"bench-{run}@example.com")
    payments = Payment.objects.bulk_create(
        Payment(
            user=user, method=code, amount=AMOUNT, currency="INR" if code == "razorpay" else "USD",
            gateway_amount=AMOUNT, gateway_ref=f"bench-{run}-{i}",
        )
        for i in range(count)
    )  # fmt: skip
    return user.pk, [sign(code, payment, i, secret, signed) for i, payment in enumerate(payments)]


def sign(code: str, payment, i: int, secret: str, signed) -> tuple[str, dict[str, str]]:
    """The body and headers the gateway would send (the tests' builders: tests/payments)."""
    import hashlib

    if code == "stripe":
        body = json.dumps(signed.stripe_paid(payment, intent=f"pi_bench_{payment.gateway_ref}"))
        stamp = int(time.time())
        header = f"t={stamp},v1={signed._hmac(secret, f'{stamp}.{body}')}"
        return body, {"Stripe-Signature": header}
    if code == "razorpay":
        body = json.dumps(signed.razorpay_paid(payment, payment_id=f"pay_{payment.gateway_ref}"))
        return body, {"X-Razorpay-Signature": signed._hmac(secret, body)}
    ipn = signed.nowpayments_ipn(payment, payment_id=10**9 + payment.pk)
    body = json.dumps(ipn, sort_keys=True, separators=(",", ":"))
    return body, {"x-nowpayments-sig": signed._hmac(secret, body, hashlib.sha512)}


class Server:
    def __init__(self, workers: int, log_dir: Path):
        self.port = free_port()
        self.log = log_dir / "granian.log"
        self.command = [
            str(Path(sys.executable).parent / "granian"), "--interface", "wsgi",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
            "--blocking-threads", "1", "--backpressure", "64", "--log-level", "warning",
            "panel.wsgi:application",
        ]  # fmt: skip
        self.env = {
            **os.environ, "DEBUG": "0", "LOG_LEVEL": "ERROR", "PYTHONPATH": str(ROOT),
            # bench/settings.py mounts bench/views.py: the minimal view, the ceiling.
            "DJANGO_SETTINGS_MODULE": "bench.settings",
        }  # fmt: skip
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our interpreter's granian
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/services")
                connection.getresponse().read()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"granian did not answer:\n{self.log.read_text()[-2000:]}")

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(15)


def deliver(port: int, path: str, jobs: list, clients: int) -> tuple[float, list[float], dict]:
    """POST every job to `path` through `clients` keep-alive connections; (seconds, latencies,
    answers by status)."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    for job in jobs:
        work.put(job)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, codes = [], {}
        while True:
            try:
                body, headers = work.get_nowait()
            except queue.Empty:
                break
            start = time.perf_counter()
            try:
                status = post(connection, path, body, headers)
            except (ConnectionError, http.client.HTTPException):  # the server closed it: again
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = post(connection, path, body, headers)
            mine.append(time.perf_counter() - start)
            codes[status] = codes.get(status, 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            for status, n in codes.items():
                statuses[status] = statuses.get(status, 0) + n

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, sorted(latencies), statuses


def post(connection: http.client.HTTPConnection, path: str, body: str, headers: dict) -> int:
    connection.request("POST", path, body, {"Content-Type": "application/json", **headers})
    answer = connection.getresponse()
    answer.read()
    return answer.status


def row(name: str, jobs: list, seconds: float, latencies: list[float], statuses: dict) -> str:
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    return (
        f"{name:<12} {len(jobs):>8} {seconds:>8.2f} {len(jobs) / seconds:>7.0f} "
        f"{p50:>7.1f} {p99:>7.1f}  {statuses}"
    )


def check(user_id: int, count: int) -> tuple[int, Decimal]:
    from django.db.models import Sum

    from accounts.models import LedgerEntry, LedgerKind, User

    rows = LedgerEntry.objects.filter(user_id=user_id, kind=LedgerKind.DEPOSIT)
    deposits = rows.count()
    total = rows.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    balance = User.objects.get(pk=user_id).balance
    assert deposits == count, f"{deposits} deposits for {count} payments"
    assert balance == total == AMOUNT * count, (balance, total)
    return deposits, balance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gateway", default="all")
    args = parser.parse_args()
    setup_django()
    codes = ["stripe", "razorpay", "nowpayments"] if args.gateway == "all" else [args.gateway]
    run = f"{int(time.time())}-{secrets.token_hex(3)}"
    print(
        f"{args.payments} payments × {args.copies} deliveries each, {args.clients} connections, "
        f"granian WSGI ×{args.workers}"
    )
    print(f"{'gateway':<12} {'requests':>8} {'seconds':>8} {'req/s':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7}  answers      deposits  balance")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, Server(args.workers, Path(tmp)) as server:
        jobs = [("x=1", {}) for _ in range(args.payments * args.copies)]
        seconds, latencies, statuses = deliver(server.port, "/bench/minimal", jobs, args.clients)
        print(row("minimal view", jobs, seconds, latencies, statuses) + "  (the ceiling)")
        for code in codes:
            user_id, webhooks = prepare(code, args.payments, run)
            jobs = [webhook for webhook in webhooks for _ in range(args.copies)]
            path = f"/payments/webhooks/{code}"
            seconds, latencies, statuses = deliver(server.port, path, jobs, args.clients)
            deposits, balance = check(user_id, args.payments)
            print(f"{row(code, jobs, seconds, latencies, statuses)}  {deposits:>8}  {balance}")
    from payments.models import Gateway

    Gateway.objects.filter(code__in=codes).update(enabled=False)


if __name__ == "__main__":
    main()
