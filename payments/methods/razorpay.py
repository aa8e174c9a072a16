"""Razorpay (UPI, cards, net banking) with the official SDK.

The panel creates a Razorpay order for the exact amount; the customer pays on Razorpay's hosted
checkout (a form posted to /v1/checkout/embedded), which posts back to the panel with the
payment signed with the key secret; the panel verifies that signature and re-fetches the
payment. The `payment.captured` / `order.paid` webhooks (signed with the webhook secret) credit
too; whichever arrives first credits, once (payments/crediting.py).
"""

import json
import time

import razorpay
import requests
from django.conf import settings

from payments.quotes import from_minor, to_minor

from .base import (
    Checkout,
    Failed,
    GatewayError,
    Opened,
    Paid,
    PaymentMethod,
    Report,
    Reversed,
    Urls,
    WebhookRefused,
    currency_of,
    decimal_of,
    gateway_id,
)  # fmt: skip

API = "https://api.razorpay.com"
# Razorpay retries a webhook for 24 hours and signs no delivery time: an event older than this
# is a replay.
EVENT_MAX_AGE = 48 * 3600


class Razorpay(PaymentMethod):
    code = "razorpay"
    name = "UPI, cards, net banking (Razorpay)"

    def client(self, gateway) -> razorpay.Client:
        return razorpay.Client(auth=(gateway.key_id, gateway.api_secret), base_url=self.base())

    def base(self) -> str:
        return self.base_url(API)

    def open(self, *, payment, gateway, urls: Urls) -> Opened:
        data = {
            "amount": to_minor(payment.gateway_amount, payment.currency),
            "currency": payment.currency,
            "receipt": f"payment-{payment.pk}",
            "notes": {"payment": str(payment.pk)},
        }
        try:
            order = self.client(gateway).order.create(
                data, timeout=settings.PAYMENT_GATEWAY_TIMEOUT
            )
        except (razorpay.errors.BadRequestError, razorpay.errors.ServerError,
                razorpay.errors.GatewayError, requests.RequestException, ValueError) as exc:  # fmt: skip
            raise GatewayError(
                f"Razorpay did not create the order ({type(exc).__name__})."
            ) from exc
        if not isinstance(order, dict) or order.get("amount") != data["amount"]:
            raise GatewayError("Razorpay answered with an unexpected order.")
        ref = _id(order.get("id"), "order id")
        return Opened(
            ref=ref, details={"callback_url": urls.return_url, "cancel_url": urls.cancel_url}
        )

    def checkout(self, *, payment, gateway) -> Checkout:
        return Checkout(
            url=f"{self.base()}/v1/checkout/embedded",
            fields={
                "key_id": gateway.key_id,
                "order_id": payment.gateway_ref,
                "amount": str(to_minor(payment.gateway_amount, payment.currency)),
                "currency": payment.currency,
                "name": settings.PANEL_NAME,
                "description": f"Add funds · payment #{payment.pk}",
                "prefill[email]": payment.user.email,
                "callback_url": payment.details.get("callback_url", ""),
                "cancel_url": payment.details.get("cancel_url", ""),
            },
        )

    def parse_return(self, *, gateway, params) -> tuple[str, Report | None]:
        """Back from the checkout: the signature proves this order was paid by this payment;
        the payment itself is fetched again for its amount, currency and state."""
        if "razorpay_signature" not in params:  # cancelled or failed: the webhook will say
            return _error_order(params), None
        order_id = _id(params.get("razorpay_order_id"), "order id")
        payment_id = _id(params.get("razorpay_payment_id"), "payment id")
        signed = {
            "razorpay_order_id": order_id,
            "razorpay_payment_id": payment_id,
            "razorpay_signature": str(params.get("razorpay_signature", ""))[:200],
        }
        client = self.client(gateway)
        try:
            client.utility.verify_payment_signature(signed)
        except razorpay.errors.SignatureVerificationError:
            raise WebhookRefused("bad payment signature") from None
        try:
            fetched = client.payment.fetch(payment_id, timeout=settings.PAYMENT_GATEWAY_TIMEOUT)
        except (razorpay.errors.BadRequestError, razorpay.errors.ServerError,
                razorpay.errors.GatewayError, requests.RequestException, ValueError):  # fmt: skip
            return order_id, None  # the webhook credits it
        if not isinstance(fetched, dict) or fetched.get("order_id") != order_id:
            raise WebhookRefused("fetched payment belongs to another order")
        return order_id, _payment_report(fetched)

    def parse_webhook(self, *, gateway, body: bytes, headers) -> list[Report]:
        signature = headers.get("X-Razorpay-Signature", "")
        if not gateway.webhook_secret or not signature:
            raise WebhookRefused("no signature" if gateway.webhook_secret else "not configured")
        try:
            text = body.decode()
            self.client(gateway).utility.verify_webhook_signature(
                text, signature[:200], gateway.webhook_secret
            )
        except (UnicodeDecodeError, razorpay.errors.SignatureVerificationError):
            raise WebhookRefused("bad signature") from None
        event = _json(text)
        created = event.get("created_at")
        if not isinstance(created, int) or created < time.time() - EVENT_MAX_AGE:
            raise WebhookRefused("replayed: event too old")
        return _reports(event)


def _reports(event: dict) -> list[Report]:
    name, payload = event.get("event"), event.get("payload")
    if not isinstance(payload, dict):
        raise WebhookRefused("no payload")
    if name in ("payment.captured", "order.paid"):
        return [_payment_report(_entity(payload, "payment"))]
    if name == "payment.failed":
        entity = _entity(payload, "payment")
        reason = str(entity.get("error_description") or "The payment failed.")[:200]
        return [Failed(ref=_id(entity.get("order_id"), "order id"), reason=reason)]
    if name == "refund.processed":
        return [_reversal(_entity(payload, "refund"), "refund")]
    if name == "payment.dispute.created":
        return [_reversal(_entity(payload, "dispute"), "dispute")]
    return []  # an event the panel does not act on: acknowledged


def _payment_report(entity: dict) -> Report | None:
    if entity.get("status") != "captured":
        return None  # authorized, not yet captured: the payment.captured webhook follows
    currency = currency_of(entity.get("currency"))
    return Paid(
        ref=_id(entity.get("order_id"), "order id"),
        payment_id=_id(entity.get("id"), "payment id"),
        amount=from_minor(_minor(entity.get("amount")), currency),
        currency=currency,
    )


def _reversal(entity: dict, kind: str) -> Reversed:
    currency = currency_of(entity.get("currency"))
    return Reversed(
        payment_id=_id(entity.get("payment_id"), "payment id"),
        ref=_id(entity.get("id"), f"{kind} id"),
        kind=kind,
        amount=from_minor(_minor(entity.get("amount")), currency),
        currency=currency,
    )


def _entity(payload: dict, name: str) -> dict:
    wrapper = payload.get(name)
    entity = wrapper.get("entity") if isinstance(wrapper, dict) else None
    if not isinstance(entity, dict):
        raise WebhookRefused(f"no {name} entity")
    return entity


def _minor(value: object) -> int:
    amount = decimal_of(value, "amount")
    if amount != amount.to_integral_value():
        raise WebhookRefused("bad amount")
    return int(amount)


def _json(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        raise WebhookRefused("not JSON") from None
    if not isinstance(data, dict):
        raise WebhookRefused("not an event")
    return data


def _id(value: object, what: str) -> str:
    return gateway_id(value, what)


def _error_order(params) -> str:
    """The order named by a failed checkout's `error[metadata]` (unsigned: used only to find
    the payment page)."""
    try:
        metadata = json.loads(str(params.get("error[metadata]", ""))[:2000])
        return _id(metadata.get("order_id"), "order id")
    except (ValueError, AttributeError):
        raise WebhookRefused("return without a payment") from None
