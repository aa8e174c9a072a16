"""The fakes' HTTP server: stdlib, threaded, one port; /razorpay, /stripe, /nowpayments and
/control (health, configuration, refunds and disputes, the webhook deliveries made)."""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import nowpayments, razorpay, stripe
from .pages import Reply, json_reply
from .state import State

GATEWAYS = {"razorpay": razorpay, "stripe": stripe, "nowpayments": nowpayments}
MAX_BODY = 1024 * 1024


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: State):
        self.state = state
        super().__init__(address, Handler)

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # docs/design.md: else 40 ms per keep-alive answer
    server: FakeServer

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args) -> None:
        pass  # quiet: the panel's log tells the story

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._send(Reply(413, "text/plain", b"too large"))
        body = self.rfile.read(length) if length else b""
        fields = _fields(url.query, self.headers.get("Content-Type", ""), body)
        prefix, _, rest = url.path.lstrip("/").partition("/")
        reply = None
        if prefix == "control":
            reply = control(self.server.state, method, f"/{rest}", fields)
        elif prefix in GATEWAYS:
            reply = GATEWAYS[prefix].route(
                self.server.state, method, f"/{rest}", fields, self.headers
            )
        self._send(reply or Reply(404, "application/json", b'{"error":"not found"}'))

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


def _fields(query: str, content_type: str, body: bytes) -> dict:
    fields: dict = dict(parse_qsl(query, keep_blank_values=True))
    if content_type.startswith("application/json"):
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = {}
        fields.update(data if isinstance(data, dict) else {})
    elif body:
        fields.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return fields


def control(state: State, method: str, path: str, fields: dict) -> Reply | None:
    if path == "/health":
        return json_reply({"ok": True})
    if method == "POST" and path == "/config":
        if "panel_url" in fields:
            state.panel_url = str(fields["panel_url"]).rstrip("/")
        if "copies" in fields:
            state.copies = max(1, min(int(fields["copies"]), 10))
        state.secrets.update({k: str(v) for k, v in (fields.get("secrets") or {}).items()})
        return json_reply({"panel_url": state.panel_url, "copies": state.copies})
    if path == "/deliveries":
        with state.lock:
            return json_reply(list(state.deliveries))
    if method == "POST" and path in ("/refund", "/dispute"):
        gateway = GATEWAYS.get(str(fields.get("gateway")))
        if gateway is None:
            return json_reply({"error": "unknown gateway"}, 400)
        try:
            done = gateway.reverse(
                state, str(fields.get("payment_id")), kind=path[1:], amount=fields.get("amount")
            )
        except KeyError:
            return json_reply({"error": "unknown payment"}, 404)
        return json_reply(done)
    return None
