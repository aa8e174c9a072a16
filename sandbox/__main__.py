"""``python -m sandbox``: run the sandbox API v2 provider until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from decimal import Decimal
from pathlib import Path
from types import FrameType

from sandbox.app import Sandbox
from sandbox.faults import Faults, parse_cli
from sandbox.server import SandboxServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="A standalone API v2 provider for demos and tests."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    parser.add_argument("--db", type=Path, default=Path("var/sandbox.sqlite3"))
    # None means "what the database holds" (or the default for a new one), so a restart
    # without the flag keeps what the control endpoints changed.
    parser.add_argument("--services", type=int, help="catalog size (default 5000)")
    parser.add_argument("--seed", type=int, help="catalog and order-plan seed (default 1)")
    parser.add_argument("--speed", type=float, help="simulated seconds per real second (1.0)")
    parser.add_argument("--key", default="sandbox-demo-key", help="the API key clients must send")
    parser.add_argument("--balance", type=Decimal, help="set the balance (a new db gets 1000)")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a fault at start, e.g. error_rate=0.1 or actions=add,status (repeatable)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        faults = parse_cli(args.fault)
        Faults.from_dict(faults)
    except ValueError as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    sandbox = Sandbox.open(
        args.db,
        key=args.key,
        services=args.services,
        seed=args.seed,
        speed=args.speed,
        balance=args.balance,
        faults=faults,
    )
    server = SandboxServer((args.host, args.port), sandbox, verbose=args.verbose)
    host, port = server.server_address[:2]
    if args.port_file:
        _write_port(args.port_file, int(port))
    print(f"sandbox listening on http://{host}:{port}/api/v2", flush=True)
    _stop_on_signals(server)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        sandbox.stop_event.set()  # wake faults that are sleeping (blackhole, latency, drip)
        server.server_close()
        sandbox.close()
    return 0


def _write_port(path: Path, port: int) -> None:
    """Write-then-rename, so a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{port}\n")
    os.replace(partial, path)


def _stop_on_signals(server: SandboxServer) -> None:
    """SIGTERM and SIGINT (Ctrl-C) stop the server; SIGINT is set explicitly because a
    background job started by a non-interactive shell inherits it ignored."""

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return: call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


if __name__ == "__main__":
    sys.exit(main())
