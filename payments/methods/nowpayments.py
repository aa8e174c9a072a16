"""NOWPayments (crypto): an invoice for the exact fiat amount; the IPN webhook credits.

No SDK of its own is kept up: its REST API is two calls. IPN bodies are signed with the IPN
secret: HMAC-SHA512 of the JSON with its keys sorted, in the `x-nowpayments-sig` header.
"""

import hashlib
import hmac
import json
import secrets
import time
from decimal import Decimal

import requests
from django.conf import settings

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

API = "https://api.nowpayments.io"
EVENT_MAX_AGE = 48 * 3600  # IPNs carry their update time, not a signed delivery time
FAILED = ("failed", "expired")


def ipn_signature(data: dict, secret: str) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


class NowPayments(PaymentMethod):
    code = "nowpayments"
    name = "Crypto (NOWPayments)"

    def open(self, *, payment, gateway, urls: Urls) -> Opened:
        ref = f"p{payment.pk}-{secrets.token_hex(4)}"
        body = {
            "price_currency": payment.currency.lower(),
            "order_id": ref,
            "order_description": f"{settings.PANEL_NAME} funds · payment #{payment.pk}",
            "ipn_callback_url": urls.webhook_url,
            "success_url": f"{urls.return_url}?order={ref}",
            "cancel_url": urls.cancel_url,
        }
        try:
            answer = requests.post(
                f"{self.base_url(API)}/v1/invoice",
                data=_with_amount(body, payment.gateway_amount),
                headers={"x-api-key": gateway.api_secret, "Content-Type": "application/json"},
                timeout=settings.PAYMENT_GATEWAY_TIMEOUT,
            )
            answer.raise_for_status()
            invoice = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise GatewayError(
                f"NOWPayments did not create the invoice ({type(exc).__name__})."
            ) from exc
        url = invoice.get("invoice_url") if isinstance(invoice, dict) else None
        if invoice.get("order_id") != ref or not isinstance(url, str) or not url.startswith("http"):
            raise GatewayError("NOWPayments answered with an unexpected invoice.")
        return Opened(ref=ref, details={"url": url, "invoice": str(invoice.get("id", ""))[:64]})

    def checkout(self, *, payment, gateway) -> Checkout:
        return Checkout(url=payment.details.get("url", ""))

    def parse_return(self, *, gateway, params) -> tuple[str, Report | None]:
        return gateway_id(params.get("order"), "order id"), None  # the IPN credits

    def parse_webhook(self, *, gateway, body: bytes, headers) -> list[Report]:
        signature = headers.get("x-nowpayments-sig", "")
        if not gateway.webhook_secret or not signature:
            raise WebhookRefused("no signature" if gateway.webhook_secret else "not configured")
        try:
            data = json.loads(body)
            values = json.loads(body, parse_float=Decimal)
        except ValueError:
            raise WebhookRefused("not JSON") from None
        if not isinstance(data, dict):
            raise WebhookRefused("not an IPN")
        expected = ipn_signature(data, gateway.webhook_secret)
        if not hmac.compare_digest(expected, signature[:200]):
            raise WebhookRefused("bad signature")
        updated = values.get("updated_at")
        if not isinstance(updated, int) or updated / 1000 < time.time() - EVENT_MAX_AGE:
            raise WebhookRefused("replayed: IPN too old")
        report = _report(values)
        return [report] if report else []


def _with_amount(body: dict, amount: Decimal) -> str:
    """The JSON body with `price_amount` as the exact decimal number (never through float)."""
    return f'{{"price_amount":{amount.normalize():f},{json.dumps(body)[1:]}'


def _report(ipn: dict) -> Report | None:
    status = ipn.get("payment_status")
    ref = gateway_id(ipn.get("order_id"), "order id")
    payment_id = gateway_id(str(ipn.get("payment_id", "")), "payment id")
    currency = currency_of(ipn.get("price_currency"))
    if status == "finished":
        amount = decimal_of(ipn.get("price_amount"), "amount")
        return Paid(ref=ref, payment_id=payment_id, amount=amount, currency=currency)
    if status == "partially_paid":  # less than asked: flagged with what arrived, not credited
        amount = decimal_of(ipn.get("actually_paid_at_fiat") or 0, "amount")
        return Paid(ref=ref, payment_id=payment_id, amount=amount, currency=currency)
    if status in FAILED:
        return Failed(ref=ref, reason=f"The crypto payment {status}.")
    if status == "refunded":
        amount = decimal_of(ipn.get("price_amount"), "amount")
        return Reversed(
            payment_id=payment_id, ref=f"{payment_id}:refunded", kind="refund", amount=amount,
            currency=currency,
        )  # fmt: skip
    return None  # waiting, confirming, sending…: nothing to do yet
