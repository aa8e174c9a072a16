"""The two anchors of bench/api_throughput.py, served by the same server as /api/v2.

Mounted only when settings.BENCH_VIEWS is on (env BENCH_VIEWS=1): `bare_add` debits any user
named in the request, with no key and no validation. Never enable it outside a benchmark.

- `minimal`: a JSON answer and nothing else: the cost of the server, WSGI and middleware.
- `bare_add`: only the essential SQL of placing an order, by hand (no ORM), in one transaction:
  the lock-free debit `UPDATE … WHERE balance >= charge`, the order INSERT and the ledger INSERT,
  with the same columns as orders/placing.py writes.
"""

from decimal import Decimal

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

MONEY = Decimal("0.0000001")

_DEBIT = """UPDATE accounts_user SET balance = balance - %(charge)s
    WHERE id = %(user)s AND balance >= %(charge)s RETURNING balance"""
_ORDER = """INSERT INTO orders_order (user_id, service_id, link, quantity, runs, interval, extra,
    rate, charge, status, upstream_status, remains_raw, error, attempts, client_reference,
    refunded, upstream_detail, flag, tried_offers, created_at, updated_at)
    VALUES (%(user)s, %(service)s, %(link)s, %(quantity)s, NULL, NULL, '{}', %(rate)s,
    %(charge)s, 'pending', '', '', '', 0, NULL, 0, '{}', '', '[]', %(now)s, %(now)s)
    RETURNING id"""
_ENTRY = """INSERT INTO accounts_ledgerentry (user_id, kind, amount, balance_after, order_id,
    memo, created_at) VALUES (%(user)s, 'charge', -%(charge)s, %(balance)s, %(order)s, '',
    %(now)s)"""


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
        "rate": rate,
        "charge": (rate * quantity / 1000).quantize(MONEY),
        "now": timezone.now(),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_DEBIT, params)
        row = cursor.fetchone()
        if row is None:
            return _answer({"error": "Not enough funds on balance"})
        params["balance"] = row[0]
        cursor.execute(_ORDER, params)
        params["order"] = cursor.fetchone()[0]
        cursor.execute(_ENTRY, params)
    return _answer({"order": params["order"]})
