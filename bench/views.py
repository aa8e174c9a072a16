"""The two anchors of bench/api_throughput.py, served by the same server as /api/v2.

Mounted only by bench/settings.py (bench/urls.py): `bare_add` debits any user named in the
request, with no key and no validation. Never serve it outside a benchmark.

- `minimal`: a JSON answer and nothing else: the cost of the server, WSGI and middleware.
- `bare_add`: only the essential SQL of placing an order, by hand (no ORM), in one transaction:
  the lock-free debit `UPDATE … WHERE balance >= charge`, the order INSERT and the ledger INSERT,
  with the statements orders/placing.py runs on SQLite (the debit without its service guard).
"""

from decimal import Decimal

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.ledger import debit_sql
from orders.placing import INSERT_CHARGE_ROW, INSERT_ORDER
from panel.money import order_charge


def _answer(data: dict) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"separators": (",", ":")})


@csrf_exempt
def minimal(request: HttpRequest) -> JsonResponse:
    return _answer({"ok": True})


@csrf_exempt
def bare_add(request: HttpRequest) -> JsonResponse:
    """POST user, service, link, quantity, rate: debit, order, ledger row; `{"order": id}`."""
    fields = request.POST
    rate, quantity = Decimal(fields["rate"]), int(fields["quantity"])
    params = {
        "user": int(fields["user"]),
        "service": int(fields["service"]),
        "link": fields["link"],
        "quantity": quantity,
        "runs": None,
        "interval": None,
        "extra": "{}",
        "rate": rate,
        "charge": order_charge(rate=rate, quantity=quantity),
        "reference": None,
        "now": timezone.now(),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(debit_sql(), params)
        debited = cursor.fetchone()
        if debited is None:
            return _answer({"error": "Not enough funds on balance"})
        (params["balance"],) = debited
        cursor.execute(INSERT_ORDER, params)
        (params["order"],) = cursor.fetchone()
        cursor.execute(INSERT_CHARGE_ROW, params)
    return _answer({"order": params["order"]})
