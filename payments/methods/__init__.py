"""The payment methods, one module each; adding a gateway is one module plus a line here
(and a Gateway row, payments/migrations)."""

from .base import PaymentMethod
from .manual import ManualTransfer
from .nowpayments import NowPayments
from .razorpay import Razorpay
from .stripe import StripeCheckout

METHODS: dict[str, PaymentMethod] = {
    method.code: method
    for method in [ManualTransfer(), Razorpay(), StripeCheckout(), NowPayments()]
}


def method_name(code: str) -> str:
    method = METHODS.get(code)
    return method.name if method else code
