"""The public pages with 5,000 services: server time, bytes, and Chromium's first screen.

    .venv/bin/python bench/public_pages.py [--requests 50]

Runs on its own PostgreSQL database `panel_bench_public` (5,000 services synced from the
sandbox, so the catalog holds exactly those) behind granian as the Dockerfile runs it (one
worker here, 1 blocking thread), with the public cache in Redis (`BENCH_BROKER_URL`, db 12).

Server side, over keep-alive HTTP on 127.0.0.1 with `Accept-Encoding: gzip`, for the landing
page, the services page, one category's rows and a search:
  fresh     first request of a freshly started server (templates compiled, connection opened)
  cold      the cache just emptied (an admin edit), the process warm
  warm      median and p95 of --requests requests
Then Chromium (Debian's, headless, already running) loads the services page as a phone (390 × 844), plain and
with the CPU slowed 4× and a fast-3G link (1.6 Mbit/s, 150 ms), and reports the first
contentful paint, when the page is usable (DOMContentLoaded: search box, categories and
services.js ready), and the bytes transferred; then opens a category and runs a live search.
Goals (issue 14): landing < 30 ms warm; services usable < 1 s; < 300 KB transferred.
"""

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _setup import ROOT, setup_django

DATABASE_URL = os.environ.get(
    "BENCH_PUBLIC_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/panel_bench_public"
)
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
GOALS = {"landing_warm_ms": 30.0, "usable_ms": 1000.0, "transfer_kb": 300.0}
SERVICES = 5000


def prepare_catalog() -> None:
    """5,000 services from the sandbox (synced again if present: nothing else in this DB)."""
    from sandbox.testing import SandboxProcess

    from catalog.models import MarkupRule, Provider, Service
    from catalog.sync import sync_provider

    with SandboxProcess(services=SERVICES) as sandbox:
        provider, _ = Provider.objects.update_or_create(
            name="Bench sandbox", defaults={"api_url": sandbox.api_url, "api_key": sandbox.key}
        )
        if not MarkupRule.objects.filter(category=None, provider=None).exists():
            MarkupRule.objects.create(percent=30)
        sync_provider(provider)
    on_sale = Service.objects.filter(enabled=True, available=True).count()
    print(f"catalog: {on_sale:,} services on sale")
    from pages.models import SiteSettings

    site = SiteSettings.objects.get(pk=1)
    site.featured_services.set(Service.objects.order_by("id")[:8])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, log: Path):
        self.port = free_port()
        env = {
            **os.environ, "DATABASE_URL": DATABASE_URL, "CELERY_BROKER_URL": BROKER,
            "LOG_LEVEL": "WARNING",
        }  # fmt: skip
        command = [
            str(Path(sys.executable).parent / "granian"), "--interface", "wsgi",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
            "--blocking-threads", "1", "--log-level", "warning", "panel.wsgi:application",
        ]  # fmt: skip
        self.log = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter's granian
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("granian did not start")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(10)
        self.log.close()


def fetch(conn: http.client.HTTPConnection, path: str) -> tuple[float, int, int]:
    """(ms, bytes on the wire, bytes of HTML) of one GET."""
    import gzip

    start = time.perf_counter()
    conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status == 200, (path, response.status)
    plain = gzip.decompress(body) if response.getheader("Content-Encoding") == "gzip" else body
    return elapsed, len(body), len(plain)


def server_figures(port: int, paths: dict[str, str], requests: int) -> dict:
    from pages.cache import invalidate

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    figures = {name: {"fresh": fetch(conn, path)[0]} for name, path in paths.items()}
    for name, path in paths.items():
        invalidate()
        figures[name]["cold"] = fetch(conn, path)[0]
        samples = [fetch(conn, path) for _ in range(requests)]
        times = sorted(s[0] for s in samples)
        figures[name].update(
            warm=statistics.median(times),
            p95=times[int(len(times) * 0.95) - 1],
            wire=samples[-1][1],
            html=samples[-1][2],
        )
    conn.close()
    return figures


def chromium_figures(base: str, *, slow: bool) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        if slow:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            cdp.send(
                "Network.emulateNetworkConditions",
                {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
                 "uploadThroughput": 750_000 / 8},
            )  # fmt: skip
        page.goto(f"{base}/robots.txt")  # the renderer process and connection, as on a phone
        transferred = []
        cdp.on("Network.loadingFinished", lambda e: transferred.append(e["encodedDataLength"]))
        page.goto(f"{base}/services", wait_until="load")
        timing = page.evaluate(
            """() => {
              const nav = performance.getEntriesByType("navigation")[0];
              const fcp = performance.getEntriesByName("first-contentful-paint")[0];
              return {fcp: fcp ? fcp.startTime : null, usable: nav.domContentLoadedEventEnd,
                      load: nav.loadEventEnd};
            }"""
        )
        assert page.locator("#service-search").is_visible()
        first_screen_bytes = sum(transferred)
        start = time.perf_counter()
        page.locator("details.category summary").first.click()
        page.locator("details.category[open] tr.service").first.wait_for()
        timing["open_category"] = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        page.fill("#service-search", "instagram followers")
        page.locator("#search-results tr.service").first.wait_for()
        timing["live_search"] = (time.perf_counter() - start) * 1000  # includes the 250 ms pause
        timing["transfer"] = first_screen_bytes
        browser.close()
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    os.environ["CELERY_BROKER_URL"] = BROKER
    setup_django(DATABASE_URL)
    prepare_catalog()
    from catalog.listing import category_summaries

    first = category_summaries()[0].id
    paths = {
        "landing /": "/",
        "services /services": "/services",
        "one category": f"/services/category/{first}",
        "search 'instagram followers'": "/services/search?q=instagram+followers",
    }
    server = Server(Path("/tmp") / f"bench-public-{os.getpid()}.log")
    try:
        figures = server_figures(server.port, paths, args.requests)
        base = f"http://127.0.0.1:{server.port}"
        phone = chromium_figures(base, slow=False)
        slow_phone = chromium_figures(base, slow=True)
    finally:
        server.stop()
    report(figures, phone, slow_phone)


def report(figures: dict, phone: dict, slow_phone: dict) -> None:
    load = os.getloadavg()[0]
    print(f"\nload average {load:.1f} on {os.cpu_count()} cores (others' work slows every figure)")
    print(f"\n{'page':30} {'fresh ms':>9} {'cold ms':>8} {'warm ms':>8} {'p95 ms':>7} "
          f"{'gzip KB':>8} {'HTML KB':>8}")  # fmt: skip
    for name, f in figures.items():
        print(f"{name:30} {f['fresh']:9.1f} {f['cold']:8.1f} {f['warm']:8.2f} {f['p95']:7.2f} "
              f"{f['wire'] / 1024:8.1f} {f['html'] / 1024:8.1f}")  # fmt: skip
    print(f"\n{'Chromium, services page, 390 px':34} {'FCP ms':>7} {'usable ms':>10} "
          f"{'load ms':>8} {'KB':>6} {'open cat ms':>12} {'search ms':>10}")  # fmt: skip
    for name, t in (("phone", phone), ("phone, CPU 4x slower, fast 3G", slow_phone)):
        print(f"{name:34} {t['fcp']:7.0f} {t['usable']:10.0f} {t['load']:8.0f} "
              f"{t['transfer'] / 1024:6.1f} {t['open_category']:12.0f} {t['live_search']:10.0f}")  # fmt: skip
    landing = figures["landing /"]["warm"]
    print("\ngoals:")
    print(f"  landing warm {landing:.2f} ms < {GOALS['landing_warm_ms']:.0f} ms: "
          f"{'met' if landing < GOALS['landing_warm_ms'] else 'MISSED'}")  # fmt: skip
    for name, t in (("phone", phone), ("slow phone", slow_phone)):
        print(f"  {name}: usable {t['usable']:.0f} ms < {GOALS['usable_ms']:.0f} ms: "
              f"{'met' if t['usable'] < GOALS['usable_ms'] else 'MISSED'}; "
              f"{t['transfer'] / 1024:.1f} KB < {GOALS['transfer_kb']:.0f} KB: "
              f"{'met' if t['transfer'] / 1024 < GOALS['transfer_kb'] else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
