"""The API v2 client: the one place where the panel talks HTTP to upstream providers.

API v2 has no idempotency key (docs/api.md), so every failure is classified by what it tells
us about the upstream's state, not by how it looked on the wire (docs/design.md, "States"):

- REJECTED: the upstream answered `{"error": ...}`; nothing was created, so refunding is safe.
- NOT_SENT: the request never left (refused, DNS, connect timeout), so sending again is safe.
- UNKNOWN: everything else. The order may exist upstream; resending could buy it twice.

When in doubt a failure is UNKNOWN: a wrong UNKNOWN costs a staff review, a wrong NOT_SENT
costs a second unpaid upstream order.

- client.py: `UpstreamClient`, one method per action, every call through `call()`;
- transport.py: sessions that never retry, the deadline watchdog, and the classification of
  transport failures;
- answers.py: decoding answers and checking their shape;
- errors.py: `Outcome` and `UpstreamError`.
"""

from .answers import (
    LARGEST,
    MAX_BULK,
    Balance,
    ItemError,
    OrderStatus,
    ServiceInfo,
    Services,
    clean,
)
from .client import UpstreamClient
from .errors import Outcome, UpstreamError

__all__ = [
    "LARGEST",
    "MAX_BULK",
    "Balance",
    "ItemError",
    "OrderStatus",
    "Outcome",
    "ServiceInfo",
    "Services",
    "UpstreamClient",
    "UpstreamError",
    "clean",
]
