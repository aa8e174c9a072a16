"""Stripe Checkout (cards, international) with the official SDK.

The panel creates a Checkout Session for the exact amount (idempotency key: the payment), sends
the customer to its page, and credits on the signed `checkout.session.completed` webhook; the
return to the panel fetches the session again and credits too, once (payments/crediting.py).
"""

import json

import stripe
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

API = "https://api.stripe.com"
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
FAILED_EVENTS = ("checkout.session.expired", "checkout.session.async_payment_failed")


class StripeCheckout(PaymentMethod):
    code = "stripe"
    name = "Card (Stripe)"

    def client(self, gateway) -> stripe.StripeClient:
        return stripe.StripeClient(
            gateway.api_secret,
            base_addresses={"api": self.base_url(API)},
            http_client=stripe.RequestsClient(timeout=settings.PAYMENT_GATEWAY_TIMEOUT),
            max_network_retries=2,  # safe: every create carries an idempotency key
        )

    def open(self, *, payment, gateway, urls: Urls) -> Opened:
        params = {
            "mode": "payment",
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": payment.currency.lower(),
                    "unit_amount": to_minor(payment.gateway_amount, payment.currency),
                    "product_data": {"name": f"{settings.PANEL_NAME} funds"},
                },
            }],
            "success_url": f"{urls.return_url}?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": urls.cancel_url,
            "client_reference_id": str(payment.pk),
            "metadata": {"payment": str(payment.pk)},
        }  # fmt: skip
        if payment.user.email:
            params["customer_email"] = payment.user.email
        try:
            session = self.client(gateway).v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"panel-payment-{payment.pk}"}
            )
        except stripe.StripeError as exc:
            raise GatewayError(f"Stripe did not open the checkout ({type(exc).__name__}).") from exc
        data = session.to_dict()
        if data.get("amount_total") != params["line_items"][0]["price_data"]["unit_amount"]:
            raise GatewayError("Stripe answered with an unexpected checkout session.")
        url = data.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise GatewayError("Stripe answered without a checkout address.")
        return Opened(ref=gateway_id(data.get("id"), "session id"), details={"url": url})

    def checkout(self, *, payment, gateway) -> Checkout:
        return Checkout(url=payment.details.get("url", ""))

    def parse_return(self, *, gateway, params) -> tuple[str, Report | None]:
        session_id = gateway_id(params.get("session_id"), "session id")
        try:
            session = self.client(gateway).v1.checkout.sessions.retrieve(session_id)
        except stripe.StripeError:
            return session_id, None  # the webhook credits it
        return session_id, _session_report(session.to_dict(), "checkout.session.completed")

    def parse_webhook(self, *, gateway, body: bytes, headers) -> list[Report]:
        signature = headers.get("Stripe-Signature", "")
        if not gateway.webhook_secret or not signature:
            raise WebhookRefused("no signature" if gateway.webhook_secret else "not configured")
        try:
            text = body.decode()
            stripe.WebhookSignature.verify_header(
                text, signature[:2000], gateway.webhook_secret, settings.PAYMENT_WEBHOOK_TOLERANCE
            )
        except UnicodeDecodeError:
            raise WebhookRefused("not text") from None
        except stripe.SignatureVerificationError as exc:
            too_old = "tolerance" in str(exc)
            raise WebhookRefused(
                "replayed: timestamp too old" if too_old else "bad signature"
            ) from None
        try:
            event = json.loads(text)
            name, obj = event["type"], event["data"]["object"]
        except (ValueError, KeyError, TypeError):
            raise WebhookRefused("not an event") from None
        if not isinstance(obj, dict):
            raise WebhookRefused("not an event")
        report = _event_report(name, obj)
        return [report] if report else []


def _event_report(name: str, obj: dict) -> Report | None:
    if name in PAID_EVENTS or name in FAILED_EVENTS:
        return _session_report(obj, name)
    if name == "refund.created":
        return _reversal(obj, "refund")
    if name == "charge.dispute.created":
        return _reversal(obj, "dispute")
    return None  # an event the panel does not act on: acknowledged


def _session_report(session: dict, name: str) -> Report | None:
    ref = gateway_id(session.get("id"), "session id")
    if name in FAILED_EVENTS or session.get("status") == "expired":
        return Failed(ref=ref, reason="The checkout expired or the payment failed.")
    if session.get("payment_status") != "paid":
        return None
    currency = currency_of(session.get("currency"))
    payment_id = session.get("payment_intent") or ref
    return Paid(
        ref=ref,
        payment_id=gateway_id(payment_id, "payment intent"),
        amount=from_minor(_minor(session.get("amount_total")), currency),
        currency=currency,
    )


def _reversal(obj: dict, kind: str) -> Reversed:
    currency = currency_of(obj.get("currency"))
    return Reversed(
        payment_id=gateway_id(obj.get("payment_intent"), "payment intent"),
        ref=gateway_id(obj.get("id"), f"{kind} id"),
        kind=kind,
        amount=from_minor(_minor(obj.get("amount")), currency),
        currency=currency,
    )


def _minor(value: object) -> int:
    amount = decimal_of(value, "amount")
    if amount != amount.to_integral_value():
        raise WebhookRefused("bad amount")
    return int(amount)
