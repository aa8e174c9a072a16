"""What the fakes remember (in memory: a restart forgets) and how they sign what they send."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

# The demo's credentials: the panel's demo setup stores the same in its Gateway rows. Tests
# replace them with random ones (POST /control/config).
DEMO_SECRETS = {
    "razorpay_key_id": "rzp_test_demo",
    "razorpay_key_secret": "demo-razorpay-key-secret",
    "razorpay_webhook_secret": "demo-razorpay-webhook-secret",
    "stripe_secret_key": "sk_test_demo",
    "stripe_webhook_secret": "whsec_demo",
    "nowpayments_api_key": "demo-nowpayments-api-key",
    "nowpayments_ipn_secret": "demo-nowpayments-ipn-secret",
}


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(7)}"


def hmac_hex(secret: str, text: str, digest=hashlib.sha256) -> str:
    return hmac.new(secret.encode(), text.encode(), digest).hexdigest()


@dataclass
class State:
    base_url: str = ""  # this server's own address, for the checkout links it hands out
    panel_url: str = ""  # where Razorpay and Stripe webhooks go (their dashboards' setting)
    copies: int = 1  # each webhook sent this many times at once (duplicate deliveries)
    secrets: dict[str, str] = field(default_factory=lambda: dict(DEMO_SECRETS))
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.objects[obj["id"]] = obj
        return obj

    def get(self, key: str) -> dict[str, Any] | None:
        with self.lock:
            return self.objects.get(key)

    def send(self, url: str, body: str, headers: dict[str, str], event: str) -> None:
        """Deliver a webhook `copies` times at once, in the background, like a gateway that
        retries; each answer is kept for /control/deliveries."""
        for _ in range(max(1, self.copies)):
            threading.Thread(
                target=self._deliver, args=(url, body, headers, event), daemon=True
            ).start()

    def _deliver(self, url: str, body: str, headers: dict[str, str], event: str) -> None:
        status: int | str = "error"
        for attempt in range(3):
            request = urllib.request.Request(  # noqa: S310 - the panel's own address
                url, data=body.encode(), method="POST",
                headers={"Content-Type": "application/json", **headers},
            )  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    status = answer.status
                    break
            except urllib.error.HTTPError as error:
                status = error.code
                if error.code < 500:
                    break
            except OSError:
                status = "unreachable"
            time.sleep(0.3 * (attempt + 1))
        with self.lock:
            self.deliveries.append({"url": url, "event": event, "status": status})


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))
