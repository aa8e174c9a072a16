"""Manual transfer: the customer sends money to an account staff configured (bank or UPI),
quoting a reference the panel generates, then enters their transaction reference (UTR);
staff match it and approve (payments/crediting.py approve_payment)."""

import secrets
from urllib.parse import quote

from .base import Opened, PaymentMethod, Urls

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed


class ManualTransfer(PaymentMethod):
    code = "manual"
    name = "Bank transfer / UPI"
    hosted = False

    def open(self, *, payment, gateway, urls: Urls) -> Opened:
        """No gateway to call: a reference for the transfer note, and the account as shown."""
        from payments.models import TransferAccount

        account = TransferAccount.objects.get(pk=payment.details["account"])
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        ref = f"P{payment.pk}{code}"
        details = {
            "account": account.pk,
            "kind": account.kind,
            "name": account.name,
            "details": account.details,
            "upi_id": account.upi_id,
            "payee_name": account.payee_name,
        }
        return Opened(ref=ref, details=details)


def upi_link(*, upi_id: str, payee: str, amount, currency: str, ref: str, note: str) -> str:
    """The `upi://pay` link every UPI app opens, with the amount and our reference filled in."""
    fields = {
        "pa": upi_id, "pn": payee, "am": f"{amount:.2f}", "cu": currency, "tr": ref, "tn": note,
    }  # fmt: skip
    return "upi://pay?" + "&".join(f"{k}={quote(str(v), safe='@.-_')}" for k, v in fields.items())


def qr_svg(text: str) -> str:
    """The QR code of `text` as inline SVG, drawn here (segno), never by an outside service."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=5, border=4, dark="#111827")
