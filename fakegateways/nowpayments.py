"""Fake NOWPayments: /v1/invoice, the invoice page, and IPNs to the invoice's callback,
signed as NOWPayments signs them (HMAC-SHA512 of the JSON with sorted keys)."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from .pages import Reply, checkout_page, json_reply, redirect
from .state import State, hmac_hex


def route(state: State, method: str, path: str, fields: dict, headers) -> Reply | None:
    if method == "POST" and path == "/v1/invoice":
        if headers.get("x-api-key") != state.secrets["nowpayments_api_key"]:
            return json_reply({"statusCode": 403, "message": "Invalid api key"}, 403)
        return create_invoice(state, fields)
    if path.startswith("/pay/"):
        invoice_id, _, outcome = path.removeprefix("/pay/").partition("/")
        if method == "GET":
            return page(state, invoice_id)
        return finish(state, invoice_id, paid=outcome == "pay")
    return None


def create_invoice(state: State, fields: dict) -> Reply:
    invoice_id = str(secrets.randbelow(9 * 10**9) + 10**9)
    invoice = state.put({
        "id": invoice_id, "order_id": fields.get("order_id"),
        "order_description": fields.get("order_description"),
        "price_amount": fields.get("price_amount"), "price_currency": fields.get("price_currency"),
        "ipn_callback_url": fields.get("ipn_callback_url"),
        "invoice_url": f"{state.base_url}/nowpayments/pay/{invoice_id}",
        "success_url": fields.get("success_url"), "cancel_url": fields.get("cancel_url"),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
    })  # fmt: skip
    return json_reply(invoice)


def page(state: State, invoice_id: str) -> Reply:
    invoice = state.get(invoice_id)
    if invoice is None:
        return Reply(404, "text/plain", b"Unknown invoice")
    amount = f"{invoice['price_amount']} {str(invoice['price_currency']).upper()}"
    return checkout_page(
        title="NOWPayments (fake)", amount=amount, merchant="",
        action=f"{state.base_url}/nowpayments/pay/{invoice_id}",
    )  # fmt: skip


def finish(state: State, invoice_id: str, *, paid: bool) -> Reply:
    invoice = state.get(invoice_id)
    if invoice is None:
        return Reply(404, "text/plain", b"Unknown invoice")
    payment_id = secrets.randbelow(9 * 10**9) + 10**9
    invoice["payment_id"] = payment_id
    state.put({"id": f"np:{payment_id}", "invoice": invoice_id})
    send_ipn(state, invoice, "finished" if paid else "expired")
    return redirect(invoice["success_url"] if paid else invoice["cancel_url"])


def reverse(state: State, payment_id: str, *, kind: str, amount: Any) -> dict[str, Any]:
    link = state.get(f"np:{payment_id}")
    if link is None:
        raise KeyError(payment_id)
    send_ipn(state, state.get(link["invoice"]), "refunded")
    return {"payment_id": payment_id, "status": "refunded"}


def send_ipn(state: State, invoice: dict, status: str) -> None:
    ipn = {
        "payment_id": invoice["payment_id"], "invoice_id": int(invoice["id"]),
        "payment_status": status, "pay_address": "fake-address", "price_amount":
        invoice["price_amount"], "price_currency": invoice["price_currency"],
        "pay_amount": 0.0123, "actually_paid": 0.0123 if status == "finished" else 0,
        "actually_paid_at_fiat": invoice["price_amount"] if status == "finished" else 0,
        "pay_currency": "btc", "order_id": invoice["order_id"],
        "order_description": invoice["order_description"], "outcome_amount": 0.0121,
        "outcome_currency": "btc", "updated_at": int(time.time() * 1000),
    }  # fmt: skip
    sorted_json = json.dumps(ipn, sort_keys=True, separators=(",", ":"))
    signature = hmac_hex(state.secrets["nowpayments_ipn_secret"], sorted_json, hashlib.sha512)
    state.send(invoice["ipn_callback_url"], sorted_json, {"x-nowpayments-sig": signature}, status)
