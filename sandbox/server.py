"""The HTTP side: a threaded stdlib server speaking keep-alive HTTP/1.1.

The handler writes whole responses itself (status line, headers and body as one buffer), so
it can also send nothing, hang up, reset, hold the line or drip the bytes when a fault says so.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import socket
import struct
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from sandbox import actions, control
from sandbox.app import Sandbox
from sandbox.replies import Reply, json_reply

MAX_BODY = 16 * 1024 * 1024
DRIP_PIECES = 2000  # "one byte at a time", capped so a 6 MB catalog still drips in N seconds


def parse_fields(query: str, content_type: str, body: bytes) -> dict[str, str]:
    """API fields from the query string and the body (form, multipart or JSON); body wins."""
    fields = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        fields.update(_multipart(content_type, body))
    elif kind == "application/json":
        fields.update(_json_object(body))
    elif body:
        fields.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return fields


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields = {}
    for part in message.walk():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            fields[name] = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return fields


def _json_object(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, *, verbose: bool = False):
        self.sandbox = sandbox
        self.verbose = verbose
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients giving up (timeouts, resets) are expected here, not worth a traceback;
        # so are requests cut short by the shutdown.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        if self.sandbox.stop_event.is_set():
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else every keep-alive answer waits ~44 ms for delayed ACK
    server_version = "nginx"
    sys_version = ""
    server: SandboxServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except ValueError as error:
            self.close_connection = True
            self._send(json_reply({"error": str(error)}, 400))
            return
        path, _, query = self.path.partition("?")
        if path.rstrip("/") == "/api/v2":
            self._api(query, body)
        elif path.startswith("/control/"):
            sandbox = self.server.sandbox
            self._send(control.handle(sandbox, self.command, path, query, body))
        else:
            self._send(json_reply({"error": "Not found"}, 404))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():  # trailers
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline()
            if len(body) > MAX_BODY:
                raise ValueError("body too large")

    def _api(self, query: str, body: bytes) -> None:
        """Draw a fault, process (or not), then answer, break, hang up or hold as drawn."""
        sandbox = self.server.sandbox
        fields = parse_fields(query, self.headers.get("Content-Type", ""), body)
        draw = sandbox.faults.draw(fields.get("action", "").strip())
        if draw.kind == "drop":
            self._hang_up()
            return
        reply = draw.before() or draw.after(actions.handle(sandbox, fields))
        if draw.kind == "reset_after":
            self._hang_up(reset=True)
            return
        if draw.kind == "blackhole":
            sandbox.stop_event.wait(draw.hold)
            self._hang_up()
            return
        if draw.latency:
            sandbox.stop_event.wait(draw.latency)
        self._send(reply, drip=draw.drip)

    def _hang_up(self, *, reset: bool = False) -> None:
        """Close without a byte of answer; ``reset`` makes it an RST instead of a FIN."""
        self.close_connection = True
        if reset:
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)

    def _send(self, reply: Reply, *, drip: float = 0.0) -> None:
        self.log_request(reply.status)
        lines = [
            f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {reply.content_type}",
            f"Content-Length: {len(reply.body)}",
        ]
        if self.close_connection:
            lines.append("Connection: close")
        data = "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + reply.body
        if drip > 0:
            self._drip(data, drip)
        else:
            self.wfile.write(data)

    def _drip(self, data: bytes, seconds: float) -> None:
        size = max(1, -(-len(data) // DRIP_PIECES))
        pieces = [data[i : i + size] for i in range(0, len(data), size)]
        pause = seconds / len(pieces)
        for piece in pieces:
            self.wfile.write(piece)
            if self.server.sandbox.stop_event.wait(pause):
                self.close_connection = True
                return
