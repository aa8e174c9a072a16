"""API v2 throughput over HTTP, against the production server setup.

    .venv/bin/python bench/api_throughput.py [--seconds 10] [--warmup 2] [--clients 16]
        [--generator auto|wrk|python] [--gen-procs 1] [--workers 2] [--blocking-threads 1]

The server is granian WSGI as the Dockerfile runs it (2 workers, 1 blocking thread each,
backpressure 64) on the PostgreSQL database `panel_bench` (bench/_setup.py), with the rate
limits off (API_RATE_PER_KEY=0 API_RATE_PER_IP=0) and a Redis broker, so that `add` enqueues
its forwarding task for real (no worker runs: the queue is purged after). Its settings
(bench/settings.py) mount the two anchors of bench/views.py in the same server. Each run adds its own provider,
service, customers and orders and truncates nothing (other benchmarks share the database); its
provider is disabled at the end.

`--clients` keep-alive connections, each sending its next request as soon as the answer came,
for a fixed time per endpoint (after a warm-up that is not counted):
  minimal        GET-like JSON view, {"ok": true}        the server's ceiling
  bare (1/100)   debit UPDATE + order INSERT + ledger INSERT by hand, one transaction
  add (1/100)    /api/v2 action=add, 1 customer / 100 customers (keys in turn)
  status 100     /api/v2 action=status, orders = 100 ids of a customer with 20,100 orders
Every answer is checked (add: an order id; status: 100 answers, no error). Prints requests/s,
p50 and p99, CPU per request of the server and of its PostgreSQL backends, the generator's
CPU, how busy the machine was and how much of it others used, and the ratios against the goals.
Each endpoint waits for a quiet machine first (--quiet, bounded by --wait) and is measured
again (--retries) while others used more than --noise cores during it.

Load generator: wrk (C, installed with apt-get when missing and running as root) or, as the
fallback, Python processes each driving its share of the connections from one selector loop
on raw keep-alive sockets. The minimal view is also measured with 1 and 2 generator
processes/threads: if 2 were clearly faster, 1 was the bottleneck.
"""

import argparse
import json
import multiprocessing
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from _setup import ROOT, setup_django

BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
TICKS = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1
QUANTITY = 1000
STATUS_HISTORY = 20_000  # older orders of the status customer, besides the 100 it asks for
GOALS = {"add/bare": 0.60, "status/minimal": 0.25, "p99_ms": 100.0}


# --- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Data:
    provider: int
    service: int
    rate: str
    users: list[int]  # 100 customers; the first is "1 customer"
    keys: list[str]
    status_key: str
    status_ids: str  # 100 order ids of the status customer, comma-separated


def prepare(run: str) -> Data:
    """This run's own provider, service, 101 customers with funds and keys, and 100 orders
    for `status` among 20,000 of that customer (STATUS_HISTORY). Nothing is truncated: other
    benchmarks may share the database."""
    from decimal import Decimal

    from django.db import transaction

    from accounts import ledger
    from accounts.apikeys import issue_key
    from accounts.models import LedgerKind, User
    from harness.catalog import make_provider, make_service, make_upstream
    from orders.placing import place_order

    provider = make_provider(name=f"bench-api {run}")  # disabled after the run
    service = make_service(
        make_upstream(provider, rate="0.9", min=10, max=1_000_000), markup_percent=33
    )
    users, keys = [], []
    for i in range(101):
        user = User.objects.create_user(f"api-{run}-{i}")  # no password: no hashing
        with transaction.atomic():
            ledger.credit(
                user_id=user.pk, amount=Decimal(10**9), kind=LedgerKind.ADJUSTMENT, memo="bench"
            )
        users.append(user)
        keys.append(issue_key(user))
    status_user = users.pop()
    ids = [
        place_order(
            user=status_user,
            service_id=service.pk,
            fields={"link": f"https://x.test/{run}/{n}", "quantity": str(QUANTITY)},
        ).pk
        for n in range(100)
    ]
    _history(ids[0], STATUS_HISTORY)
    return Data(
        provider=provider.pk,
        service=service.pk,
        rate=str(service.rate),
        users=[u.pk for u in users],
        keys=keys[:100],
        status_key=keys[100],
        status_ids=",".join(map(str, ids)),
    )


def _history(order_id: int, count: int) -> None:
    """`count` more orders of the status customer, copies of `order_id`, completed: a reseller
    polls a few of many orders, and PostgreSQL must plan for that (ANALYZE), not for a
    customer whose 100 orders are all asked for."""
    from django.db import connection

    from orders.models import Order

    copied = [
        field.column
        for field in Order._meta.concrete_fields
        if not field.primary_key and field.name not in ("status", "start_count", "remains")
        and field.name not in ("client_reference", "upstream_order_id")  # unique per order
    ]  # fmt: skip
    columns = ", ".join(copied)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO orders_order ({columns}, status, start_count, remains) "  # noqa: S608
            f"SELECT {columns}, 'completed', 100, 0 FROM orders_order, generate_series(1, %s) "
            "WHERE id = %s",
            [count, order_id],
        )
        cursor.execute("ANALYZE orders_order")


# --- what each endpoint sends and expects ------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    bodies: list[tuple[str, str]]  # (before, after) the per-request counter; taken in turn
    good: bytes  # every answer must contain this
    bad: bytes = b"<never>"  # and must not contain this
    table: str | None = None  # rows added per request (checked against the count)


def endpoints(data: Data) -> list[Endpoint]:
    link = urllib.parse.quote("https://x.test/")

    def form(**fields: str) -> str:
        return urllib.parse.urlencode(fields)

    def bare(users: list[int]) -> Endpoint:
        bodies = [
            (
                form(user=str(u), service=str(data.service), quantity=str(QUANTITY),
                     rate=data.rate) + f"&link={link}b",
                "",
            )
            for u in users
        ]  # fmt: skip
        return Endpoint(f"bare ({len(users)})", "/bench/bare-add", bodies, b'{"order":', table="o")

    def add(keys: list[str]) -> Endpoint:
        bodies = [
            (
                form(key=k, action="add", service=str(data.service), quantity=str(QUANTITY))
                + f"&link={link}a",
                "",
            )
            for k in keys
        ]
        return Endpoint(f"add ({len(keys)})", "/api/v2", bodies, b'{"order":', table="o")

    status_body = form(key=data.status_key, action="status", orders=data.status_ids)
    return [
        Endpoint("minimal", "/bench/minimal", [(form(key="x", action="ping"), "")], b'"ok":true'),
        bare(data.users[:1]),
        add(data.keys[:1]),
        bare(data.users),
        add(data.keys),
        Endpoint("status 100", "/api/v2", [(status_body, "")], b'"currency"', bad=b'"error"'),
    ]


def request_bytes(path: str, body: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


# --- the server --------------------------------------------------------------------------------


class Server:
    def __init__(self, args: argparse.Namespace, log_dir: Path, run: str):
        self.port = 0  # chosen by start()
        self.application_name = f"bench-api-{run}"
        url = os.environ["DATABASE_URL"]
        self.database_url = (
            f"{url}{'&' if '?' in url else '?'}application_name={self.application_name}"
        )
        self.command = [
            str(Path(sys.executable).parent / "granian"), "--interface", "wsgi",
            "--host", "127.0.0.1", "--port", "{port}",
            "--workers", str(args.workers), "--blocking-threads", str(args.blocking_threads),
            "--backpressure", str(args.backpressure), "--log-level", "warning",
            "panel.wsgi:application",
        ]  # fmt: skip
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": BROKER,
            "API_RATE_PER_KEY": str(args.rate_limit),
            "API_RATE_PER_IP": str(args.rate_limit),
            "DJANGO_SETTINGS_MODULE": "bench.settings",  # the anchors of bench/views.py
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        self.log = log_dir / "granian.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        from harness.processes import start_on_free_port

        self.process, self.port = start_on_free_port(
            self._spawn, self._answers, timeout=timeout, log=lambda: self.log.read_text()[-3000:]
        )

    def _spawn(self, port: int) -> subprocess.Popen:
        command = [part.replace("{port}", str(port)) for part in self.command]
        with self.log.open("ab") as log:
            return subprocess.Popen(  # noqa: S603 - our interpreter's granian
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    @staticmethod
    def _answers(port: int) -> bool:
        try:
            return b'"ok":true' in one_request(port, "/bench/minimal", "x=1")
        except OSError:
            return False

    def cpu(self) -> float:
        """CPU seconds of granian and all its processes so far."""
        return sum(proc_cpu(pid) for pid in descendants(self.process.pid))

    def stop(self) -> None:
        """SIGTERM to granian's process group, SIGKILL to what is left after 10 s."""
        from harness.processes import stop_group

        process, self.process = self.process, None
        stop_group(process)


def one_request(port: int, path: str, body: str, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request_bytes(path, body).replace(b"HTTP/1.1\r\n", b"HTTP/1.0\r\n", 1))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# --- CPU accounting from /proc -----------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


class BackendCPU(threading.Thread):
    """CPU seconds of the PostgreSQL backends of this run's server (found by its
    application_name), sampled twice a second since backends come and go (CONN_MAX_AGE): one
    first seen after the start counts from zero. Other sessions on the database are not
    counted: they show up as "others"."""

    def __init__(self, database_url: str, application_name: str):
        import psycopg

        super().__init__(daemon=True)
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.name = application_name
        self.base = dict(self._scan())
        self.last: dict[int, float] = {}
        self.done = threading.Event()

    def _scan(self):
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [self.name]
        ).fetchall()
        return [(pid, proc_cpu(pid)) for (pid,) in rows]

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.last.update(self._scan())

    def stop(self) -> float:
        self.done.set()
        self.join(5)
        self.last.update(self._scan())
        self.conn.close()
        return sum(cpu - self.base.get(pid, 0.0) for pid, cpu in self.last.items())


def wait_quiet(max_busy: float, timeout: float) -> float:
    """Until the machine's CPU use over 2 s is at most `max_busy` (bounded); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        busy_before, total_before = machine_ticks()
        time.sleep(2)
        busy_after, total_after = machine_ticks()
        busy = (busy_after - busy_before) / max(1, total_after - total_before)
        if busy <= max_busy or time.monotonic() > deadline:
            return busy


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


# --- generators --------------------------------------------------------------------------------


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: array = field(repr=False)  # seconds; empty for wrk (p50/p99 given instead)
    bad: int
    sample: bytes = b""
    gen_cpu: float = 0.0  # CPU seconds of the generator during the measured window
    p50: float | None = None
    p99: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        if p == 50 and self.p50 is not None:
            return self.p50
        if p == 99 and self.p99 is not None:
            return self.p99
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def _parse_head(buf: bytearray) -> tuple[int, int] | None:
    """(end of the head, body length) once the head is complete; keep-alive answers only."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buf[:end]).lower() + b"\r\n"
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        raise RuntimeError(f"an answer without Content-Length: {head!r}")
    return end + 4, int(head[at + 17 : head.index(b"\r\n", at + 2)])


def _python_worker(port, endpoint, first, count, tag, start, warm, stop, out) -> None:
    """`count` connections from one selector loop; answers in [warm, stop) are counted."""
    bodies = endpoint.bodies
    sel = selectors.DefaultSelector()
    conns = []
    for c in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        conn = {"sock": sock, "buf": bytearray(), "n": 0, "sent": 0.0, "id": first + c}
        conns.append(conn)
        sel.register(sock, selectors.EVENT_READ, conn)
    latencies, bad, sample = array("d"), 0, b""
    perf = time.perf_counter

    def send(conn) -> None:
        conn["n"] += 1
        before, after = bodies[(conn["n"] + conn["id"]) % len(bodies)]
        body = f"{before}{tag}-{conn['id']}-{conn['n']}{after}" if endpoint.table else before
        conn["sent"] = perf()
        conn["sock"].sendall(request_bytes(endpoint.path, body))

    while time.monotonic() < start:
        time.sleep(0.001)
    for conn in conns:
        send(conn)
    cpu_start = None
    open_conns = len(conns)
    while open_conns:
        now_mono = time.monotonic()
        if cpu_start is None and now_mono >= warm:
            cpu_start = sum(os.times()[:2])
        for key, _ in sel.select(timeout=1.0):
            conn = key.data
            data = conn["sock"].recv(262144)
            if not data:
                raise RuntimeError("the server closed a keep-alive connection")
            buf = conn["buf"]
            buf += data
            head = _parse_head(buf)
            if head is None or len(buf) < head[0] + head[1]:
                continue
            done = perf()
            answer = bytes(buf[: head[0] + head[1]])
            del buf[: head[0] + head[1]]
            now_mono = time.monotonic()
            if warm <= now_mono < stop:
                ok = answer.startswith(b"HTTP/1.1 200") and endpoint.good in answer
                if not ok or endpoint.bad in answer:
                    bad += 1
                    sample = sample or answer[-300:]
                latencies.append(done - conn["sent"])
            if now_mono >= stop:
                sel.unregister(conn["sock"])
                conn["sock"].close()
                open_conns -= 1
            else:
                send(conn)
    cpu = sum(os.times()[:2]) - (cpu_start or 0.0)
    out.send((latencies.tobytes(), bad, sample, cpu))
    out.close()


def run_python(port: int, endpoint: Endpoint, args, procs: int, seconds: float) -> Run:
    start = time.monotonic() + 0.5
    warm, stop = start + args.warmup, start + args.warmup + seconds
    share = [args.clients // procs + (i < args.clients % procs) for i in range(procs)]
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    pipes, workers, first = [], [], 0
    for i, count in enumerate(share):
        mine, theirs = multiprocessing.Pipe(duplex=False)
        proc = multiprocessing.Process(
            target=_python_worker,
            args=(port, endpoint, first, count, f"{tag}-{i}", start, warm, stop, theirs),
        )
        proc.start()
        theirs.close()
        pipes.append(mine)
        workers.append(proc)
        first += count
    latencies, bad, sample, cpu = array("d"), 0, b"", 0.0
    for pipe in pipes:
        if not pipe.poll(args.warmup + seconds + 60):
            raise RuntimeError("a generator process did not report")
        raw, b, s, c = pipe.recv()
        part = array("d")
        part.frombytes(raw)
        latencies += part
        bad, sample, cpu = bad + b, sample or s, cpu + c
    for proc in workers:
        proc.join(30)
    return Run(len(latencies), seconds, latencies, bad, sample, cpu)


WRK_SCRIPT = r"""
local bodies = %(bodies)s
local path = %(path)s
local good, bad = %(good)s, %(bad)s
local unique = %(unique)s
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
local n = 0
wrong, sample = 0, ""  -- globals: done() reads them from each thread
function request()
  n = n + 1
  local b = bodies[n %% #bodies + 1]
  local body = b[1]
  if unique then body = b[1] .. "%(tag)s-" .. tid .. "-" .. n .. b[2] end
  return wrk.format("POST", path, headers, body)
end
function response(status, hdrs, body)
  if status ~= 200 or not string.find(body, good, 1, true) or string.find(body, bad, 1, true) then
    wrong = wrong + 1
    if sample == "" then sample = string.sub(body, 1, 300) end
  end
end
function done(summary, latency, requests)
  local wrongs, samples = 0, ""
  for _, t in ipairs(threads) do
    wrongs = wrongs + t:get("wrong")
    if samples == "" then samples = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50_us": %%.1f, "p99_us": %%.1f, ' ..
    '"errors": %%d, "wrong": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout, wrongs))
  io.write("WRKSAMPLE " .. string.gsub(samples, "[\r\n]", " ") .. "\n")
end
"""


def _lua(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if isinstance(value, bytes):
        value = value.decode()
    return json.dumps(value)  # a JSON string is a valid Lua string literal here (ASCII only)


def run_wrk(port: int, endpoint: Endpoint, args, threads: int, seconds: float) -> Run:
    wrk = shutil.which("wrk")
    script = WRK_SCRIPT % {
        "bodies": _lua([list(b) for b in endpoint.bodies]),
        "path": _lua(endpoint.path),
        "good": _lua(endpoint.good),
        "bad": _lua(endpoint.bad),
        "unique": _lua(bool(endpoint.table)),
        "tag": f"w{os.getpid()}-{time.monotonic_ns()}",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        url = f"http://127.0.0.1:{port}"
        common = [
            wrk,
            "-c",
            str(args.clients),
            "-t",
            str(threads),
            "-s",
            f.name,
            "--timeout",
            "10s",
        ]
        if args.warmup:
            subprocess.run(  # noqa: S603
                [*common, "-d", f"{args.warmup:g}s", url],
                capture_output=True,
                check=True,
                timeout=120,
            )
        before = os.times()
        done = subprocess.run(  # noqa: S603
            [*common, "-d", f"{seconds:g}s", url],
            capture_output=True, text=True, check=True, timeout=seconds + 120,
        )  # fmt: skip
        after = os.times()
    finally:
        os.unlink(f.name)
    lines = done.stdout.splitlines()
    data = json.loads(next(x for x in lines if x.startswith("WRKJSON "))[8:])
    sample = next((x[10:] for x in lines if x.startswith("WRKSAMPLE ")), "")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return Run(
        data["requests"],
        data["duration_us"] / 1e6,
        array("d"),
        data["wrong"] + data["errors"],
        sample.encode(),
        cpu,
        p50=data["p50_us"] / 1e6,
        p99=data["p99_us"] / 1e6,
    )


def ensure_wrk() -> bool:
    """wrk on the PATH, installed with apt-get if missing and we are root; False otherwise."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    print("wrk is missing: apt-get install wrk …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "wrk"]
    for command in (install, ["apt-get", "update", "-q"], install):  # lists may be stale
        subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)
        if shutil.which("wrk"):
            return True
    return False


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Measure:
    endpoint: str
    run: Run
    server_cpu: float  # CPU seconds
    pg_cpu: float
    busy: float  # share of the whole machine's CPU in use, 0..1
    rows: int | None  # orders of this run's service added (warm-up included)
    idle: float = 0.0  # the machine's CPU use just before (0..1): was it quiet?
    others: float = 0.0  # cores used meanwhile by everything but server, database, generator


def measure(server: Server, endpoint: Endpoint, args, generate, width: int, data: Data) -> Measure:
    """Run the endpoint; again (up to --retries times) while others used over --noise cores
    meanwhile. Returns the run least disturbed."""
    runs = []
    for _ in range(1 + args.retries):
        runs.append(measure_once(server, endpoint, args, generate, width, data))
        if runs[-1].others <= args.noise:
            break
        print(
            f"    ({endpoint.name}: {runs[-1].others:.2f} cores used by others meanwhile)",
            flush=True,
        )
    return min(runs, key=lambda m: m.others)


def measure_once(
    server: Server, endpoint: Endpoint, args, generate, width: int, data: Data
) -> Measure:
    from django.db import connection

    idle = wait_quiet(args.quiet, args.wait)
    count = "SELECT count(*) FROM orders_order WHERE service_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(count, [data.service])
        rows_before = cursor.fetchone()[0]
    backends = BackendCPU(os.environ["DATABASE_URL"], server.application_name)
    backends.start()
    started, server_before, (busy_before, _) = time.monotonic(), server.cpu(), machine_ticks()
    run = generate(server.port, endpoint, args, width, args.seconds)
    elapsed, server_cpu, (busy_after, _) = (
        time.monotonic() - started,
        server.cpu() - server_before,
        machine_ticks(),
    )
    pg_cpu = backends.stop()
    with connection.cursor() as cursor:
        cursor.execute(count, [data.service])
        rows = cursor.fetchone()[0] - rows_before
    busy = (busy_after - busy_before) / TICKS / elapsed  # cores in use, whoever used them
    ours = (server_cpu + pg_cpu) / elapsed + run.gen_cpu / run.seconds
    # Server and database CPU cover the warm-up too: scale to the measured window.
    share = args.seconds / (args.seconds + args.warmup)
    return Measure(
        endpoint.name,
        run,
        server_cpu * share,
        pg_cpu * share,
        busy / CPUS,
        rows if endpoint.table else None,
        idle=idle,
        others=max(0.0, busy - ours),
    )


def report(results: list[Measure], args) -> None:
    print(
        f"\n{'endpoint':14} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'bad':>4} "
        f"{'srv ms/req':>10} {'pg ms/req':>9} {'gen CPU':>7} {'machine':>7} {'others':>6} "
        f"{'before':>6}"
    )
    for m in results:
        r = m.run
        per = 1000 / max(1, r.requests)
        print(
            f"{m.endpoint:14} {r.rate:8.0f} {r.percentile(50) * 1000:7.2f} "
            f"{r.percentile(99) * 1000:7.2f} {r.bad:4d} {m.server_cpu * per:10.3f} "
            f"{m.pg_cpu * per:9.3f} {r.gen_cpu / r.seconds:7.0%} {m.busy:7.0%} "
            f"{m.others:6.2f} {m.idle:6.0%}"
        )
        if r.bad:
            print(f"    a bad answer: {r.sample!r}")
        if m.rows is not None and m.rows < r.requests:
            print(f"    only {m.rows} orders written for {r.requests} answers counted")
    print(
        "srv / pg ms/req: CPU per request of granian's processes / of the database's backends;\n"
        "gen CPU: the load generator, share of one core; machine: the whole machine's CPU use;\n"
        "others: cores used meanwhile by anything else; before: CPU use just before the run."
    )
    by = {m.endpoint: m.run for m in results}
    print("\nGoals:")
    pairs = [(f"add ({n})", f"bare ({n})", "add/bare") for n in (1, 100)]
    for endpoint, anchor, goal in [*pairs, ("status 100", "minimal", "status/minimal")]:
        if endpoint in by and anchor in by:  # both measured (see --only)
            ratio = by[endpoint].rate / by[anchor].rate
            ok = "ok" if ratio >= GOALS[goal] else "MISSED"
            print(f"  {f'{endpoint} / {anchor}':26}{ratio:6.0%}  (goal ≥ {GOALS[goal]:.0%})  {ok}")
    worst = max(results, key=lambda m: m.run.percentile(99))
    p99 = worst.run.percentile(99) * 1000
    ok = "ok" if p99 < GOALS["p99_ms"] else "MISSED"
    print(
        f"  worst p99 {p99:.1f} ms ({worst.endpoint}) at {args.clients} clients "
        f"(goal < 100 ms)  {ok}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--gen-procs", type=int, default=1, help="generator processes/threads")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--blocking-threads", type=int, default=1)
    parser.add_argument("--backpressure", type=int, default=64)
    parser.add_argument("--rate-limit", type=int, default=0, help="per key and per IP; 0: off")
    parser.add_argument("--only", default="", help="comma-separated endpoint names")
    parser.add_argument(
        "--wait", type=float, default=600, help="seconds to wait for a quiet machine (each)"
    )
    parser.add_argument(
        "--quiet", type=float, default=0.15,
        help="before each endpoint, wait (at most --wait s) for the machine's CPU use to be below this",
    )  # fmt: skip
    parser.add_argument(
        "--noise", type=float, default=0.3,
        help="cores others may use during a run before it is measured again",
    )  # fmt: skip
    parser.add_argument("--retries", type=int, default=3)
    args = parser.parse_args()

    os.environ["CELERY_BROKER_URL"] = BROKER
    setup_django()
    from django.db import connection

    from catalog.models import Provider
    from panel.celery import app

    kind = args.generator
    if kind == "auto":
        kind = "wrk" if ensure_wrk() else "python"
    elif kind == "wrk" and not ensure_wrk():
        raise SystemExit("wrk is not installed and could not be installed")
    generate = run_wrk if kind == "wrk" else run_python

    run = f"{time.strftime('%H%M%S')}-{os.getpid()}"
    data = prepare(run)
    connection.close()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    server = Server(args, log_dir, run)
    print(
        f"granian WSGI ×{args.workers}, --blocking-threads {args.blocking_threads}, "
        f"--backpressure {args.backpressure}; PostgreSQL {os.environ['DATABASE_URL']}; "
        f"broker {BROKER}; rate limits {args.rate_limit or 'off'}\n"
        f"{args.clients} keep-alive clients, {args.seconds:g} s per endpoint after "
        f"{args.warmup:g} s warm-up; generator: {kind}; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    server.start()
    results: list[Measure] = []
    try:
        chosen = endpoints(data)
        if args.only:
            names = {n.strip() for n in args.only.split(",")}
            chosen = [e for e in chosen if e.name in names]
        minimal = next((e for e in chosen if e.name == "minimal"), None)
        if minimal is not None:
            for width in (1, 2):
                m = measure(server, minimal, args, generate, width, data)
                unit = "wrk threads" if kind == "wrk" else "generator processes"
                print(
                    f"generator check, minimal with {width} {unit}: {m.run.rate:.0f} req/s, "
                    f"p99 {m.run.percentile(99) * 1000:.2f} ms, generator CPU "
                    f"{m.run.gen_cpu / m.run.seconds:.0%} of one core, machine {m.busy:.0%} busy",
                    flush=True,
                )
        for endpoint in chosen:
            results.append(measure(server, endpoint, args, generate, args.gen_procs, data))
            print(f"  {endpoint.name}: {results[-1].run.rate:.0f} req/s", flush=True)
    finally:
        server.stop()
        # Its orders stay PENDING: a sweeper elsewhere holds them (no provider) without a send.
        Provider.objects.filter(pk=data.provider).update(enabled=False)
        purged = app.control.purge()
        print(f"purged {purged} queued forwarding tasks; server log {server.log}")
    report(results, args)


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    main()
