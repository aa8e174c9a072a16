"""One Gateway row per payment method module (payments/methods/), all but the manual transfer
switched off until staff configure them; payments made before gateways existed were manual
transfers in the panel currency."""

from decimal import Decimal

from django.conf import settings
from django.db import migrations

GATEWAYS = [
    (
        "manual", True, "Bank transfer / UPI", 0,
        "Send the amount to the account shown, with the reference the panel gives you; then "
        "enter your transaction reference (UTR). Funds are added once our staff have matched it.",
    ),
    ("razorpay", False, "UPI, cards, net banking (Razorpay)", 10, "Pay in INR through Razorpay."),
    ("stripe", False, "Card (Stripe)", 20, "Pay by card on Stripe's secure checkout."),
    ("nowpayments", False, "Crypto (NOWPayments)", 30, "Pay in crypto; credited on confirmation."),
]  # fmt: skip


def add_gateways(apps, schema_editor):
    Gateway = apps.get_model("payments", "Gateway")
    GatewayCurrency = apps.get_model("payments", "GatewayCurrency")
    Payment = apps.get_model("accounts", "Payment")
    for code, enabled, name, position, instructions in GATEWAYS:
        gateway, created = Gateway.objects.get_or_create(
            code=code,
            defaults={
                "enabled": enabled, "name": name, "position": position,
                "instructions": instructions,
            },
        )  # fmt: skip
        if created and code == "manual":
            GatewayCurrency.objects.create(
                gateway=gateway, currency=settings.PANEL_CURRENCY, exchange_rate=Decimal(1)
            )
    for payment in Payment.objects.filter(gateway_amount=None).iterator():
        payment.currency = settings.PANEL_CURRENCY
        payment.gateway_amount = payment.amount
        payment.save(update_fields=["currency", "gateway_amount"])


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial"), ("accounts", "0005_payment_gateways")]

    operations = [migrations.RunPython(add_gateways, migrations.RunPython.noop)]
