"""Webhooks as each gateway signs them, built from the gateways' documented schemes (not from
the panel's code), and the panel's payments as the gateway code opens them: for the payments
tests and bench/payment_webhooks.py."""

import hashlib
import hmac
import json
import secrets
import time
from decimal import Decimal

from django.test import Client

from accounts.models import Payment
from payments.quotes import to_minor

URL = "/payments/webhooks/{}"


def _hmac(secret: str, text: str, digest=hashlib.sha256) -> str:
    return hmac.new(secret.encode(), text.encode(), digest).hexdigest()


def opened(user, method: str, amount: str, currency: str, credit: str | None = None) -> Payment:
    """A payment as start_payment leaves it: quoted, opened at the gateway with an id."""
    prefix = {"razorpay": "order_", "stripe": "cs_test_", "nowpayments": "p-"}[method]
    return Payment.objects.create(
        user=user, method=method, amount=Decimal(credit or amount), currency=currency,
        gateway_amount=Decimal(amount), gateway_ref=f"{prefix}{secrets.token_hex(6)}",
    )  # fmt: skip


# --- Razorpay: X-Razorpay-Signature = HMAC-SHA256(body, webhook secret), hex -----------------


def razorpay_event(name: str, payload: dict, *, age: int = 0) -> dict:
    return {
        "entity": "event", "event": name, "payload": payload,
        "created_at": int(time.time()) - age,
    }  # fmt: skip


def razorpay_paid(payment: Payment, *, payment_id: str = "", amount=None, currency=None,
                  event: str = "payment.captured", age: int = 0) -> dict:  # fmt: skip
    entity = {
        "id": payment_id or f"pay_{secrets.token_hex(6)}", "entity": "payment",
        "amount": to_minor(Decimal(amount or payment.gateway_amount), "INR"),
        "currency": currency or payment.currency, "status": "captured",
        "order_id": payment.gateway_ref,
    }  # fmt: skip
    return razorpay_event(event, {"payment": {"entity": entity}}, age=age)


def razorpay_reversal(payment: Payment, amount: str, *, kind: str = "refund") -> dict:
    entity = {
        "id": f"{'rfnd' if kind == 'refund' else 'disp'}_{secrets.token_hex(6)}",
        "payment_id": payment.gateway_payment_id, "amount": to_minor(Decimal(amount), "INR"),
        "currency": payment.currency,
    }  # fmt: skip
    name = "refund.processed" if kind == "refund" else "payment.dispute.created"
    return razorpay_event(name, {kind: {"entity": entity}})


def post_razorpay(client: Client, event: dict, secret: str):
    body = json.dumps(event)
    return client.post(
        URL.format("razorpay"), body, content_type="application/json",
        headers={"X-Razorpay-Signature": _hmac(secret, body)},
    )  # fmt: skip


# --- Stripe: Stripe-Signature: t=<unix>,v1=HMAC-SHA256("<t>.<body>", webhook secret) --------


def stripe_event(name: str, obj: dict) -> dict:
    return {"id": f"evt_{secrets.token_hex(6)}", "object": "event", "type": name,
            "data": {"object": obj}, "created": int(time.time())}  # fmt: skip


def stripe_paid(payment: Payment, *, intent: str = "", amount=None, currency=None) -> dict:
    currency = currency or payment.currency
    session = {
        "id": payment.gateway_ref, "object": "checkout.session", "status": "complete",
        "payment_status": "paid", "payment_intent": intent or f"pi_{secrets.token_hex(6)}",
        "amount_total": to_minor(Decimal(amount or payment.gateway_amount), currency),
        "currency": currency.lower(),
    }  # fmt: skip
    return stripe_event("checkout.session.completed", session)


def stripe_reversal(payment: Payment, amount: str, *, kind: str = "refund") -> dict:
    obj = {
        "id": f"{'re' if kind == 'refund' else 'dp'}_{secrets.token_hex(6)}",
        "payment_intent": payment.gateway_payment_id,
        "amount": to_minor(Decimal(amount), payment.currency),
        "currency": payment.currency.lower(),
    }  # fmt: skip
    return stripe_event("refund.created" if kind == "refund" else "charge.dispute.created", obj)


def post_stripe(client: Client, event: dict, secret: str, *, age: int = 0):
    body = json.dumps(event)
    stamp = int(time.time()) - age
    return client.post(
        URL.format("stripe"), body, content_type="application/json",
        headers={"Stripe-Signature": f"t={stamp},v1={_hmac(secret, f'{stamp}.{body}')}"},
    )  # fmt: skip


# --- NOWPayments: x-nowpayments-sig = HMAC-SHA512(JSON with sorted keys, IPN secret) ---------


def nowpayments_ipn(payment: Payment, status: str = "finished", *, payment_id: int = 0,
                    amount=None, currency=None, age: int = 0) -> dict:  # fmt: skip
    return {
        "payment_id": payment_id or secrets.randbelow(10**9) + 10**9,
        "payment_status": status, "order_id": payment.gateway_ref,
        "price_amount": float(amount or payment.gateway_amount),
        "price_currency": (currency or payment.currency).lower(),
        "actually_paid_at_fiat": float(amount or payment.gateway_amount),
        "updated_at": int((time.time() - age) * 1000),
    }  # fmt: skip


def post_nowpayments(client: Client, ipn: dict, secret: str):
    body = json.dumps(ipn, sort_keys=True, separators=(",", ":"))
    return client.post(
        URL.format("nowpayments"), body, content_type="application/json",
        headers={"x-nowpayments-sig": _hmac(secret, body, hashlib.sha512)},
    )  # fmt: skip
