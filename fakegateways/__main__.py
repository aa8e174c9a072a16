"""``python -m fakegateways``: the fake payment gateways, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .server import FakeServer
from .state import State


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakegateways", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    parser.add_argument(
        "--panel-url", default="", help="where webhooks go, e.g. http://127.0.0.1:8000"
    )
    args = parser.parse_args(argv)
    state = State(panel_url=args.panel_url.rstrip("/"))
    server = FakeServer((args.host, args.port), state)
    port = server.server_address[1]
    state.base_url = f"http://{args.host}:{port}"
    if args.port_file:
        args.port_file.write_text(str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"fake gateways on {state.base_url}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
