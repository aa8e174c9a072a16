"""Fake Stripe: Checkout Sessions (create with idempotency keys, retrieve), the hosted page,
and the webhooks checkout.session.completed / .expired, refund.created and
charge.dispute.created, signed as Stripe signs them (t=…,v1=HMAC-SHA256 of "t.body")."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from .pages import Reply, checkout_page, json_reply, redirect
from .state import State, dumps, hmac_hex, new_id


def route(state: State, method: str, path: str, fields: dict, headers) -> Reply | None:
    key = f"Bearer {state.secrets['stripe_secret_key']}"
    if path.startswith("/v1/") and headers.get("Authorization") != key:
        return _error(401, "Invalid API Key provided")
    if method == "POST" and path == "/v1/checkout/sessions":
        return create_session(state, fields, headers.get("Idempotency-Key", ""))
    if method == "GET" and path.startswith("/v1/checkout/sessions/"):
        session = state.get(path.removeprefix("/v1/checkout/sessions/"))
        return json_reply(session) if session else _error(404, "No such checkout.session")
    if method == "GET" and path.startswith("/pay/"):
        return page(state, path.removeprefix("/pay/"))
    if method == "POST" and path.startswith("/pay/"):
        session_id, _, outcome = path.removeprefix("/pay/").partition("/")
        return finish(state, session_id, paid=outcome == "pay")
    return None


def _error(status: int, message: str) -> Reply:
    return json_reply({"error": {"type": "invalid_request_error", "message": message}}, status)


def create_session(state: State, fields: dict, idempotency_key: str) -> Reply:
    if idempotency_key and (earlier := state.get(f"idem:{idempotency_key}")):
        return json_reply(state.get(earlier["session"]))
    try:
        amount = int(fields["line_items[0][price_data][unit_amount]"])
        quantity = int(fields.get("line_items[0][quantity]", "1"))
        currency = fields["line_items[0][price_data][currency]"]
    except (KeyError, ValueError):
        return _error(400, "line_items are required")
    session_id = new_id("cs_test")
    session = state.put({
        "id": session_id, "object": "checkout.session", "mode": "payment",
        "amount_total": amount * quantity, "currency": currency, "status": "open",
        "payment_status": "unpaid", "payment_intent": None,
        "url": f"{state.base_url}/stripe/pay/{session_id}",
        "success_url": fields.get("success_url", ""), "cancel_url": fields.get("cancel_url", ""),
        "client_reference_id": fields.get("client_reference_id"),
        "metadata": {k[9:-1]: v for k, v in fields.items() if k.startswith("metadata[")},
        "created": int(time.time()), "livemode": False,
    })  # fmt: skip
    if idempotency_key:
        state.put({"id": f"idem:{idempotency_key}", "session": session_id})
    return json_reply(session)


def page(state: State, session_id: str) -> Reply:
    session = state.get(session_id)
    if session is None or session["status"] != "open":
        return Reply(404, "text/plain", b"This checkout is no longer open")
    amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
    return checkout_page(
        title="Stripe Checkout (fake)", amount=amount, merchant="",
        action=f"{state.base_url}/stripe/pay/{session_id}",
    )  # fmt: skip


def finish(state: State, session_id: str, *, paid: bool) -> Reply:
    session = state.get(session_id)
    if session is None or session["status"] != "open":
        return Reply(404, "text/plain", b"This checkout is no longer open")
    if paid:
        intent = state.put({
            "id": new_id("pi"), "object": "payment_intent", "amount": session["amount_total"],
            "currency": session["currency"], "status": "succeeded",
        })  # fmt: skip
        session.update(status="complete", payment_status="paid", payment_intent=intent["id"])
        send_event(state, "checkout.session.completed", session)
        return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", quote(session_id)))
    session.update(status="expired")
    send_event(state, "checkout.session.expired", session)
    return redirect(session["cancel_url"])


def reverse(state: State, intent_id: str, *, kind: str, amount: int | None) -> dict[str, Any]:
    intent = state.get(intent_id)
    if intent is None:
        raise KeyError(intent_id)
    obj = {
        "id": new_id("re" if kind == "refund" else "dp"),
        "object": "refund" if kind == "refund" else "dispute",
        "amount": amount or intent["amount"], "currency": intent["currency"],
        "payment_intent": intent_id, "charge": new_id("ch"), "status": "succeeded",
    }  # fmt: skip
    send_event(state, "refund.created" if kind == "refund" else "charge.dispute.created", obj)
    return obj


def send_event(state: State, name: str, obj: dict) -> None:
    event = {
        "id": new_id("evt"), "object": "event", "type": name, "api_version": "2025-01-01",
        "created": int(time.time()), "data": {"object": obj}, "livemode": False,
    }  # fmt: skip
    body = dumps(event)
    stamp = int(time.time())
    signature = hmac_hex(state.secrets["stripe_webhook_secret"], f"{stamp}.{body}")
    headers = {"Stripe-Signature": f"t={stamp},v1={signature}"}
    state.send(f"{state.panel_url}/payments/webhooks/stripe", body, headers, name)
