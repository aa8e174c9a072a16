"""Fake Razorpay: /v1/orders, /v1/payments/<id>, the hosted checkout /v1/checkout/embedded,
and the webhooks payment.captured, order.paid, payment.failed, refund.processed and
payment.dispute.created, signed as Razorpay signs them."""

from __future__ import annotations

import base64
import time
from typing import Any

from .pages import Reply, checkout_page, json_reply, post_back_page
from .state import State, dumps, hmac_hex, new_id


def route(state: State, method: str, path: str, fields: dict, headers) -> Reply | None:
    if method == "POST" and path == "/v1/orders":
        return _authorized(state, headers) or create_order(state, fields)
    if method == "GET" and path.startswith("/v1/payments/"):
        payment = state.get(path.removeprefix("/v1/payments/"))
        return _authorized(state, headers) or (
            json_reply(payment) if payment else _error(404, "The id provided does not exist")
        )
    if method == "POST" and path == "/v1/checkout/embedded":
        return checkout(state, fields)
    if method == "POST" and path.startswith("/checkout/"):
        _, _, order_id, outcome = path.split("/", 3)
        return finish(state, order_id, paid=outcome == "pay")
    return None


def _authorized(state: State, headers) -> Reply | None:
    expected = f"{state.secrets['razorpay_key_id']}:{state.secrets['razorpay_key_secret']}"
    given = headers.get("Authorization", "").removeprefix("Basic ")
    try:
        ok = base64.b64decode(given).decode() == expected
    except ValueError:
        ok = False
    return None if ok else _error(401, "Authentication failed")


def _error(status: int, text: str) -> Reply:
    return json_reply({"error": {"code": "BAD_REQUEST_ERROR", "description": text}}, status)


def create_order(state: State, fields: dict) -> Reply:
    amount = fields.get("amount")
    if not isinstance(amount, int) or amount < 100:
        return _error(400, "The amount must be at least INR 1.00")
    order = {
        "id": new_id("order"), "entity": "order", "amount": amount, "amount_paid": 0,
        "amount_due": amount, "currency": fields.get("currency", "INR"),
        "receipt": fields.get("receipt"), "status": "created", "attempts": 0,
        "notes": fields.get("notes") or {}, "created_at": int(time.time()),
    }  # fmt: skip
    return json_reply(state.put(order))


def checkout(state: State, fields: dict) -> Reply:
    order = state.get(fields.get("order_id", ""))
    if order is None or fields.get("key_id") != state.secrets["razorpay_key_id"]:
        return Reply(400, "text/plain", b"Unknown order or key")
    order["callback_url"] = fields.get("callback_url", "")
    amount = f"{order['amount'] / 100:.2f} {order['currency']}"
    return checkout_page(
        title="Razorpay (fake)", amount=amount, merchant=fields.get("name", ""),
        action=f"{state.base_url}/razorpay/checkout/{order['id']}",
    )  # fmt: skip


def finish(state: State, order_id: str, *, paid: bool) -> Reply:
    order = state.get(order_id)
    if order is None:
        return Reply(404, "text/plain", b"Unknown order")
    payment = state.put({
        "id": new_id("pay"), "entity": "payment", "amount": order["amount"],
        "currency": order["currency"], "status": "captured" if paid else "failed",
        "order_id": order_id, "method": "upi", "captured": paid, "amount_refunded": 0,
        "error_description": None if paid else "Payment failed (fake)",
        "created_at": int(time.time()),
    })  # fmt: skip
    callback = order.get("callback_url", "")
    if paid:
        order.update(status="paid", amount_paid=order["amount"], amount_due=0)
        send_event(state, "payment.captured", {"payment": {"entity": payment}})
        send_event(
            state, "order.paid", {"payment": {"entity": payment}, "order": {"entity": order}}
        )
        signature = hmac_hex(state.secrets["razorpay_key_secret"], f"{order_id}|{payment['id']}")
        fields = {
            "razorpay_payment_id": payment["id"], "razorpay_order_id": order_id,
            "razorpay_signature": signature,
        }  # fmt: skip
    else:
        send_event(state, "payment.failed", {"payment": {"entity": payment}})
        fields = {
            "error[code]": "BAD_REQUEST_ERROR", "error[description]": "Payment failed (fake)",
            "error[metadata]": dumps({"order_id": order_id, "payment_id": payment["id"]}),
        }  # fmt: skip
    return post_back_page(callback, fields)


def reverse(state: State, payment_id: str, *, kind: str, amount: int | None) -> dict[str, Any]:
    """A refund or dispute of a captured payment (a control endpoint: the merchant's action)."""
    payment = state.get(payment_id)
    if payment is None:
        raise KeyError(payment_id)
    entity = {
        "id": new_id("rfnd" if kind == "refund" else "disp"), "entity": kind,
        "payment_id": payment_id, "amount": amount or payment["amount"],
        "currency": payment["currency"], "created_at": int(time.time()),
    }  # fmt: skip
    name = "refund.processed" if kind == "refund" else "payment.dispute.created"
    send_event(state, name, {kind: {"entity": entity}, "payment": {"entity": payment}})
    return entity


def send_event(state: State, name: str, payload: dict) -> None:
    event = {
        "entity": "event", "account_id": "acc_fake", "event": name, "contains": list(payload),
        "payload": payload, "created_at": int(time.time()),
    }  # fmt: skip
    body = dumps(event)
    signature = hmac_hex(state.secrets["razorpay_webhook_secret"], body)
    url = f"{state.panel_url}/payments/webhooks/razorpay"
    headers = {"X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": new_id("evt")}
    state.send(url, body, headers, name)
