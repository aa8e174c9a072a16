"""The embedded default (SQLite) charges orders with its own three statements: run them for real."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a process of its own, on SQLite

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json
from decimal import Decimal
from django.core.management import call_command
from django.db import transaction
call_command("migrate", verbosity=0)
from accounts import ledger
from accounts.models import LedgerEntry, User
from catalog.models import Service
from orders.placing import place_order, place_mass_order
from orders.validation import OrderError
from harness.catalog import make_provider, make_service, make_upstream

user = User.objects.create_user("carol")
with transaction.atomic():
    ledger.credit(user_id=user.pk, amount=Decimal("3"), kind="adjustment", memo="t")
service = make_service(make_upstream(make_provider(), rate="1"), fixed_rate=Decimal("1"))
out = {}
order = place_order(user=user, service_id=service.pk, fields={"link": "https://x.test", "quantity": "1000"})
out["charge"] = str(order.charge)
try:
    place_order(user=user, service_id=service.pk, fields={"link": "https://x.test", "quantity": "5000"})
except ledger.InsufficientFunds as exc:
    out["shortfall"] = str(exc.shortfall)
Service.objects.filter(pk=service.pk).update(enabled=False)
try:
    place_order(user=user, service_id=service.pk, fields={"link": "https://x.test", "quantity": "1000"})
except OrderError as exc:
    out["withdrawn"] = exc.message
Service.objects.filter(pk=service.pk).update(enabled=True)
result = place_mass_order(user=user, text=f"{service.pk}|https://x.test/1|1000\nbad line")
out["mass"] = [len(result.orders), [e.line for e in result.errors]]
from orders import api
out["status"] = json.loads(api.status(user, {"orders": f"{order.pk},999999,x"}))
out["status_one"] = api.status(user, {"order": str(order.pk)})
out["order"] = order.pk
user.refresh_from_db()
out["balance"] = str(user.balance)
out["ledger"] = sorted(str(e.amount) for e in LedgerEntry.objects.filter(user=user))
print("RESULT" + json.dumps(out))
"""


def test_sqlite_placement_debits_once_and_refuses_what_postgres_refuses(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(PANEL_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="panel.settings")
    code = "import django; django.setup()\n" + SCRIPT
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.split("RESULT", 1)[1])
    assert result["charge"] == "1.0000000"
    assert result["shortfall"] == "3.0000000"  # 5 needed, 2 left
    assert result["withdrawn"] == "Incorrect service ID"
    assert result["mass"] == [1, [2]]
    assert result["balance"] == "1.0000000"
    assert result["ledger"] == ["-1.0000000", "-1.0000000", "3.0000000"]
    # The API's bulk status, written in Python here (by the database on PostgreSQL).
    one = {"charge": "1.00", "start_count": "0", "status": "Pending", "remains": "1000",
           "currency": "USD"}  # fmt: skip
    error = {"error": "Incorrect order ID"}
    assert result["status"] == {str(result["order"]): one, "999999": error, "x": error}
    assert result["status_one"] == one
