"""What a handler answers: a status, a content type and the exact bytes to send."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CURRENCY = "USD"

# A proxy in front of a provider answers like this when the provider's app is down.
BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)

# Anti-bot pages come back with HTTP 200 more often than one would hope.
CHALLENGE_HTML = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head>'
    b"<body><h1>Checking your browser before accessing the website.</h1>"
    b"<p>This process is automatic. Your browser will redirect to your requested content "
    b"shortly.</p></body></html>"
)


@dataclass(frozen=True)
class Reply:
    body: bytes
    status: int = 200
    content_type: str = "application/json"


def json_reply(data: Any, status: int = 200) -> Reply:
    """Compact JSON, as PHP's json_encode writes it (most providers run PHP)."""
    return Reply(json.dumps(data, separators=(",", ":")).encode(), status)


def error_reply(message: str) -> Reply:
    """API v2 errors travel with HTTP 200."""
    return json_reply({"error": message})
