"""A canned-response HTTP server for the API v2 client's tests: exact bytes and exact faults.

Each request takes the next scripted reply from a queue (or the default when the queue is
empty), so a test says precisely what the wire carries. The server records every request it
read: the form fields, the headers and the client's port (to see connection reuse).
"""

import json
import socket
import ssl
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    fault: str | None = None  # hang, drip, reset, close, truncate, chunked


@dataclass
class Recorded:
    fields: dict[str, str]
    headers: dict[str, str]
    port: int
    method: str


def to_bytes(body) -> bytes:
    """Text goes on the wire as written ("0.1" vs 0.1 matters); anything else as JSON."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


class CannedServer:
    def __init__(self, tls: tuple[str, str] | None = None):
        self.replies: list[Reply] = []
        self.default = Reply(b'{"error": "no canned reply"}', status=500)
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls:  # (certfile, keyfile); the handshake happens in the handler's thread
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(
                self.httpd.socket, server_side=True, do_handshake_on_connect=False
            )
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/api/v2"
        # A short poll interval: shutdown() waits for it, once per test.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> "CannedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def reply(self, body=b"", *, status=200, content_type="application/json", **headers) -> None:
        self.replies.append(Reply(to_bytes(body), status, content_type, headers))

    def fault(self, name: str, body=b"", *, status=200) -> None:
        self.replies.append(Reply(to_bytes(body), status, fault=name))

    def next_reply(self) -> Reply:
        with self.lock:
            return self.replies.pop(0) if self.replies else self.default


def _handler_for(server: CannedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self.do_POST()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            fields = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            with server.lock:
                server.requests.append(
                    Recorded(fields, headers, self.client_address[1], self.command)
                )
            reply = server.next_reply()
            getattr(self, f"fault_{reply.fault}", self.answer)(reply)

        def answer(self, reply: Reply, length: int | None = None) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body) if length is None else length))
            for name, value in reply.headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()

        def fault_hang(self, reply: Reply) -> None:
            # Accept, read the request, never answer (until the test ends).
            server.stopping.wait(30)
            self.close_connection = True

        def fault_drip(self, reply: Reply) -> None:
            # A valid beginning, then one byte at a time, slower than any deadline in the tests.
            body = reply.body or b'[{"service": 1, "name": "' + b"x" * 100 + b'"}]'
            self.answer(Reply(b"", reply.status), length=len(body))
            for byte in body:
                if server.stopping.wait(0.05):
                    break
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    break
            self.close_connection = True

        def fault_drip_headers(self, reply: Reply) -> None:
            # Even the status line and headers come one byte at a time: no recv() ever waits
            # long enough for a read timeout, only the deadline can stop this.
            head = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: " + b"x" * 500
            )
            for byte in head:
                if server.stopping.wait(0.05):
                    break
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    break
            self.close_connection = True

        def fault_reset(self, reply: Reply) -> None:
            # Read the whole request, then RST (SO_LINGER 0): "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

        def fault_close(self, reply: Reply) -> None:
            # Read the whole request, then close cleanly without a byte: "remote disconnected".
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

        def fault_truncate(self, reply: Reply) -> None:
            # Promise more bytes than are sent, then close.
            self.answer(reply, length=len(reply.body) + 100)
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

        def fault_huge(self, reply: Reply) -> None:
            # Announce a gigantic body; the client must refuse to read it.
            self.answer(Reply(b"[", reply.status), length=10**12)
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

        def fault_chunked(self, reply: Reply) -> None:
            # Transfer-Encoding: chunked, a few bytes per chunk, so pieces arrive separately.
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(reply.body), 200):
                piece = reply.body[start : start + 200]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
                time.sleep(0.001)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def fault_redirect(self, reply: Reply) -> None:
            self.send_response(reply.status)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


class FullBacklog:
    """A listener whose accept queue is full: new connections hang in SYN until connect timeout."""

    def __enter__(self) -> "FullBacklog":
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers = []
        for _ in range(8):  # fill the queue (its real size depends on the kernel)
            filler = socket.socket()
            filler.settimeout(0.2)
            try:
                filler.connect(("127.0.0.1", self.port))
            except OSError:
                filler.close()
                break
            self.fillers.append(filler)
        return self

    def __exit__(self, *exc) -> None:
        for sock in [*self.fillers, self.listener]:
            sock.close()


def self_signed_certificate(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 made with the openssl command line: (certfile, keyfile)."""
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )
    return cert, key
