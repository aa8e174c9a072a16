"""Gateway settings in admin: secrets encrypted at rest, never rendered, kept when left blank."""

import pytest
from django.db import connection

from payments.models import Gateway

pytestmark = pytest.mark.django_db

URL = "/admin/payments/gateway/{}/change/"


def form_data(gateway: Gateway, **changes) -> dict:
    currencies = list(gateway.currencies.all())
    data = {
        "enabled": "on", "name": gateway.name, "instructions": gateway.instructions,
        "position": gateway.position, "key_id": gateway.key_id, "api_secret": "",
        "webhook_secret": "", "fee_percent": "0", "bonus_percent": "0", "bonus_from": "0",
        "currencies-TOTAL_FORMS": len(currencies), "currencies-INITIAL_FORMS": len(currencies),
        "currencies-MIN_NUM_FORMS": 0, "currencies-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    for i, row in enumerate(currencies):
        data.update({
            f"currencies-{i}-id": row.pk, f"currencies-{i}-gateway": gateway.pk,
            f"currencies-{i}-currency": row.currency,
            f"currencies-{i}-exchange_rate": row.exchange_rate,
            f"currencies-{i}-min_amount": row.min_amount,
            f"currencies-{i}-max_amount": row.max_amount,
        })  # fmt: skip
    return {**data, **changes}


def stored(gateway: Gateway, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM payments_gateway WHERE id = %s", [gateway.pk])
        return cursor.fetchone()[0]


def test_secrets_are_encrypted_at_rest(stripe_gateway, keys):
    for column, secret in (("api_secret", keys["stripe_secret_key"]),
                           ("webhook_secret", keys["stripe_webhook_secret"])):  # fmt: skip
        raw = stored(stripe_gateway, column)
        assert raw and secret not in raw


def test_the_change_page_shows_whether_a_secret_is_set_never_the_secret(
    sam_client, stripe_gateway, keys
):
    html = sam_client.get(URL.format(stripe_gateway.pk)).content.decode()

    assert keys["stripe_secret_key"] not in html and keys["stripe_webhook_secret"] not in html
    assert "Set — leave blank to keep it" in html
    assert 'type="password" name="api_secret"' in html
    assert "/payments/webhooks/stripe" in html


def test_a_blank_secret_keeps_the_stored_one_and_a_new_one_replaces_it(
    sam_client, stripe_gateway, keys
):
    answer = sam_client.post(
        URL.format(stripe_gateway.pk), form_data(stripe_gateway, fee_percent="1.5")
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    stripe_gateway.refresh_from_db()
    assert stripe_gateway.api_secret == keys["stripe_secret_key"]
    assert str(stripe_gateway.fee_percent) == "1.500"

    sam_client.post(
        URL.format(stripe_gateway.pk), form_data(stripe_gateway, webhook_secret="whsec_new")
    )
    stripe_gateway.refresh_from_db()
    assert stripe_gateway.webhook_secret == "whsec_new"
    assert stripe_gateway.api_secret == keys["stripe_secret_key"]


def test_gateways_are_neither_added_nor_deleted_in_admin(sam_client, stripe_gateway):
    assert sam_client.get("/admin/payments/gateway/add/").status_code == 403
    assert sam_client.get(f"/admin/payments/gateway/{stripe_gateway.pk}/delete/").status_code == 403
    listing = sam_client.get("/admin/payments/gateway/").content.decode()
    assert "Card (Stripe)" in listing and "USD, EUR" in listing


def test_a_upi_account_needs_a_upi_id_and_inr(sam_client, db):
    answer = sam_client.post(
        "/admin/payments/transferaccount/add/",
        {"kind": "upi", "name": "UPI", "currency": "USD", "upi_id": "not a vpa", "position": 0,
         "enabled": "on"},
    )  # fmt: skip
    html = answer.content.decode()
    assert answer.status_code == 200 and "A UPI id looks like name@bank." in html


def test_a_gateway_change_is_audited_its_secret_only_as_changed(sam_client, stripe_gateway, keys):
    from audit.models import AuditEntry

    sam_client.post(
        URL.format(stripe_gateway.pk),
        form_data(stripe_gateway, fee_percent="2", webhook_secret="whsec_sentinel_42"),
    )

    entry = AuditEntry.objects.get(target_type="payments.gateway")
    assert entry.changes == {"fee_percent": ["0.000", "2.000"], "webhook_secret": "changed"}
    dump = str(list(AuditEntry.objects.values()))
    assert "whsec_sentinel_42" not in dump and keys["stripe_webhook_secret"] not in dump
