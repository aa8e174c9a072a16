"""The interface every payment method implements, and what a gateway tells the panel.

A method opens a payment at its gateway (network; never inside a transaction), sends the
customer to a checkout, and turns what the gateway sends back (a signed webhook, the return
redirect) into verified reports. What a report means for the money is decided in one place,
payments/crediting.py and payments/reversals.py: a method only checks signatures and shapes.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Literal

from django.conf import settings

if TYPE_CHECKING:
    from accounts.models import Payment
    from payments.models import Gateway

MAX_WEBHOOK_BYTES = 64 * 1024
MAX_ID = 200  # a gateway's id longer than this is not one


class GatewayError(Exception):
    """The gateway could not be reached or refused the request; `message` is safe to show."""


class WebhookRefused(Exception):
    """A webhook that is forged, replayed, malformed or about nothing we know: answered 400.

    `reason` is written to the log: it names what was wrong, never a secret or a signature.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Checkout:
    """Where the customer pays: a link, or a form posted to the gateway (`fields`)."""

    url: str
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def is_form(self) -> bool:
        return bool(self.fields)


@dataclass(frozen=True)
class Opened:
    """A payment opened at the gateway: its id there, and what the checkout needs later."""

    ref: str
    details: dict


@dataclass(frozen=True)
class Paid:
    """The gateway says the payment opened as `ref` was paid by its payment `payment_id`."""

    ref: str
    payment_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Failed:
    ref: str
    reason: str


@dataclass(frozen=True)
class Reversed:
    """A refund or dispute of the gateway payment `payment_id`; `ref` is its own id."""

    payment_id: str
    ref: str
    kind: Literal["refund", "dispute"]
    amount: Decimal
    currency: str


Report = Paid | Failed | Reversed


@dataclass(frozen=True)
class Urls:
    """The panel's addresses a gateway sends the customer or its webhooks to."""

    return_url: str
    cancel_url: str
    webhook_url: str


class PaymentMethod:
    """One way of adding funds. Subclasses set `code` and `name` and implement what they use."""

    code: str
    name: str
    hosted = True  # the customer pays on the gateway's page (False: a manual transfer)

    def open(self, *, payment: "Payment", gateway: "Gateway", urls: Urls) -> Opened:
        """Create the payment at the gateway (network). Raise GatewayError when it cannot."""
        raise NotImplementedError

    def checkout(self, *, payment: "Payment", gateway: "Gateway") -> Checkout | None:
        return None

    def parse_webhook(self, *, gateway: "Gateway", body: bytes, headers) -> list[Report]:
        """Verify and read one webhook; raise WebhookRefused for anything not genuine."""
        raise WebhookRefused("this method takes no webhooks")

    def parse_return(self, *, gateway: "Gateway", params) -> tuple[str, Report | None]:
        """The customer is back from the checkout: (our payment's ref, what is verified)."""
        raise WebhookRefused("this method has no return")

    def base_url(self, default: str) -> str:
        """The gateway's address: its real one unless PAYMENT_GATEWAY_URLS points elsewhere."""
        return settings.PAYMENT_GATEWAY_URLS.get(self.code, default).rstrip("/")


def gateway_id(value: object, what: str) -> str:
    """An id from a gateway's message: printable text of sane length, else WebhookRefused."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID or not value.isprintable():
        raise WebhookRefused(f"bad {what}")
    return value


def decimal_of(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise WebhookRefused(f"bad {what}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise WebhookRefused(f"bad {what}") from None
    if not number.is_finite() or number < 0 or number > Decimal(10) ** 12:
        raise WebhookRefused(f"bad {what}")
    return number


def currency_of(value: object) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise WebhookRefused("bad currency")
    return value.upper()
