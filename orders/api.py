"""The panel's own API v2 (docs/api.md): answers exactly like an upstream provider.

One view reads `key` and `action` from the query string, a form or multipart body, and hands
each action to a small function calling the same code as the pages: `place_order` for `add`,
`request_refill` / `request_cancel` for refills and cancels.
"""

import gzip
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from accounts.apikeys import user_for_key_along
from accounts.ledger import InsufficientFunds
from accounts.models import User
from pages.cache import cached, catalog_timeout
from panel.clientip import client_ip
from panel.db import prepared_cursor
from panel.money import api_money
from panel.ratelimit import allow

from .cancels import request_cancel
from .ids import IdList, array_of, parse_id, parse_id_list
from .models import REFILL_STATUS, SHOWN, Order, OrderStatus, Refill, RequestStatus
from .placing import place_order, sellable_services
from .refills import customer_refill, request_refill
from .upstream_requests import RequestRefused
from .validation import OrderError

log = logging.getLogger(__name__)

REFERENCE_HOURS = 24
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
ERROR_ORDER = {"error": "Incorrect order ID"}


class JsonText(str):
    """An answer already written as JSON (the bulk status: its rows come from the database as
    JSON text), sent as it is."""


def answer(data: object, status: int = 200) -> HttpResponse:
    if isinstance(data, JsonText):
        return HttpResponse(data, status=status, content_type="application/json")
    return JsonResponse(
        data, status=status, safe=False, json_dumps_params={"separators": (",", ":")}
    )


def to_json(data: object) -> str:
    """JSON as `answer` writes it."""
    return json.dumps(data, separators=(",", ":"), cls=DjangoJSONEncoder)


ERROR_ORDER_JSON = to_json(ERROR_ORDER)
_json_text = lru_cache(maxsize=16)(to_json)  # for the few texts written on every request


def error(message: str, status: int = 200) -> JsonResponse:
    return answer({"error": message}, status)


@csrf_exempt
@sensitive_post_parameters("key")
@sensitive_variables("key")
def api_v2(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return error("Incorrect request", 405)
    data = _fields(request)
    key = data.get("key", "")
    if not allow(f"ip:{client_ip(request)}", settings.API_RATE_PER_IP):
        return error("Too many requests", 429)
    action = data.get("action", "")
    # The bulk status, the API's hottest read, is written in the key check's round trip.
    asked = _asked_ahead(data) if action == "status" else None
    user, statuses = user_for_key_along(
        key, (_STATUSES_ALONG, _statuses_params(asked)) if asked else None
    )
    if user is None:
        return error("Invalid API key")
    if not allow(f"user:{user.pk}", settings.API_RATE_PER_KEY):
        return error("Too many requests", 429)
    handler = ACTIONS.get(action)
    if handler is None:
        return error("Incorrect request")
    try:
        if asked is not None:
            return answer(_bulk_status(user, asked, statuses))
        if handler is services:
            return _services_answer(request, user, data)
        return answer(handler(user, data))
    except Exception:  # a bug: logged without the request's fields, so never with the key
        log.exception("api action %r failed for user %s", action[:20], user.pk)
        return error("Internal error, try again later", 500)


def _fields(request: HttpRequest) -> dict[str, str]:
    """Query string, then body fields (form or multipart) over it; the last value of a field
    sent twice, as PHP providers read it."""
    data = {}
    if request.META.get("QUERY_STRING"):
        data = {name: request.GET.get(name, "") for name in request.GET}
    if request.method == "POST":
        plain = _plain_form(request)
        if plain is None:
            plain = {name: request.POST.get(name, "") for name in request.POST}
        data.update(plain)
    return data


def _plain_form(request: HttpRequest) -> dict[str, str] | None:
    """The fields of the form body API clients send, read as request.POST reads them but
    sooner; None for any other body, which request.POST reads.

    Such a body is ASCII, and its only escape is the comma of an id list (`%2C`): a hundred
    of them cost QueryDict, unquoting the body character by character, more than the rest of
    a status request's Python. tests/orders/test_api_fields.py holds this to request.POST.
    """
    if request.content_type != "application/x-www-form-urlencoded" or request.encoding:
        return None
    try:
        text = request.body.decode("ascii")
    except UnicodeDecodeError:
        return None
    if "%" in text:
        text = text.replace("%2C", ",").replace("%2c", ",")
        if "%" in text:
            return None
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is not None and text.count("&") >= limit:
        return None  # request.POST refuses it
    fields = {}
    for pair in text.replace("+", " ").split("&"):
        if pair:
            name, _, value = pair.partition("=")
            fields[name] = value
    return fields


def _services_answer(request: HttpRequest, user: User, data: Mapping[str, str]) -> HttpResponse:
    """The catalog (5,000 services: about 1.7 MB of JSON, 0.2 MB gzipped), the same for every
    customer: built and compressed once per currency and catalog version (pages/cache.py; every
    price change bumps it: admin edits, markup rules, syncs and repricing through
    catalog.signals.catalog_changed), at most PUBLIC_CACHE_SECONDS old, and shared by every web
    process. Sent compressed to a client that accepts gzip, as most do."""
    body = cached(
        f"api-services:{settings.PANEL_CURRENCY}",
        lambda: gzip.compress(to_json(services(user, data)).encode(), compresslevel=6, mtime=0),
        scopes=("catalog",),
        timeout=catalog_timeout,
    )
    if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(body, content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(body), content_type="application/json")
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


# --- actions ----------------------------------------------------------------------------------


def services(user: User, data: Mapping[str, str]) -> list[dict]:
    rows = sellable_services().order_by("category__position", "category__name", "position", "id")
    return [
        {"service": pk, "name": name, "type": type_, "category": category, "rate": api_money(rate),
         "min": str(low), "max": str(high), "refill": refill, "cancel": cancel,
         "dripfeed": dripfeed, "desc": desc}
        for pk, name, type_, category, rate, low, high, refill, cancel, dripfeed, desc in
        rows.values_list("pk", "name", "type", "category__name", "rate", "min", "max", "refill",
                         "cancel", "dripfeed", "description")
    ]  # fmt: skip


def add(user: User, data: Mapping[str, str]) -> dict:
    reference = (data.get("reference") or "").strip() or None
    if reference is not None:
        if len(reference) > 100 or not reference.isascii() or not reference.isprintable():
            return {"error": "Incorrect request"}
        existing = _by_reference(user, reference)
        if existing is not None:
            return {"order": existing}
    try:
        order = place_order(
            user=user, service_id=data.get("service"), fields=data, client_reference=reference
        )
    except OrderError as exc:
        return {"error": exc.message}
    except InsufficientFunds:
        return {"error": "Not enough funds on balance"}
    except IntegrityError:  # the same reference placed concurrently: that one wins
        existing = _by_reference(user, reference) if reference else None
        return {"order": existing} if existing else {"error": "Incorrect request"}
    return {"order": order.pk}


def _by_reference(user: User, reference: str) -> int | None:
    """The order placed with this reference in the last 24 hours; an older one frees it."""
    found = (
        Order.objects.filter(user=user, client_reference=reference)
        .values_list("pk", "created_at", named=True)
        .first()
    )
    if found is None:
        return None
    if found.created_at >= timezone.now() - timedelta(hours=REFERENCE_HOURS):
        return found.pk
    Order.objects.filter(pk=found.pk).update(client_reference=None)
    return None


def status(user: User, data: Mapping[str, str]) -> dict | JsonText:
    if "orders" in data:
        asked = parse_id_list(data["orders"])
        return asked if isinstance(asked, dict) else _bulk_status(user, asked)
    order_id = parse_id(data.get("order"))
    rows = _status_rows(user, [order_id]) if order_id else []
    return _status_of(rows[0], settings.PANEL_CURRENCY) if rows else ERROR_ORDER


def _bulk_status(user: User, asked: IdList, statuses: str | None = None) -> JsonText:
    """Every id answered, its status or its error: the numbers in the order asked, then any id
    that is not a number. `statuses`: the members for the numbers, if already written."""
    if asked.numbers and statuses is None:
        statuses = _statuses_json(user, asked)
    parts = [statuses] if asked.numbers else []
    parts += [f"{to_json(other)}:{ERROR_ORDER_JSON}" for other in asked.others]
    return JsonText("{" + ",".join(parts) + "}")


def _asked_ahead(data: Mapping[str, str]) -> IdList | None:
    """The ids of a bulk status whose answer the key check can write along (on PostgreSQL,
    with numbers to look up); None otherwise: the action runs as any other."""
    if "orders" not in data or connection.vendor != "postgresql":
        return None
    asked = parse_id_list(data["orders"])
    return asked if isinstance(asked, IdList) and asked.numbers else None


def _statuses_json(user: User, asked: IdList) -> str:
    """`"id":{status}` for each of the numbers asked in turn (`{"error": …}` if not the
    customer's), comma-separated: the members of the bulk status answer as JSON text.

    On PostgreSQL the database writes the text itself (_STATUSES_JSON): decoding 100 rows of
    decimals in Python, formatting them and encoding the answer cost more than the rest of
    the request (docs/benchmarks.md). tests/orders/test_api_status_sql.py holds it to
    _status_of, which writes it elsewhere (SQLite).
    """
    if connection.vendor != "postgresql":
        currency, error = settings.PANEL_CURRENCY, ERROR_ORDER_JSON
        rows = _status_rows(user, list(asked.numbers))
        found = {row.id: to_json(_status_of(row, currency)) for row in rows}
        return ",".join(f'"{i}":{found.get(i, error)}' for i in asked.numbers)
    with prepared_cursor() as cursor:
        cursor.execute(_STATUSES_JSON, {**_statuses_params(asked), "user": user.pk})
        return cursor.fetchone()[0]


def _statuses_params(asked: IdList) -> dict:
    return {
        "ids": asked.array,
        "currency": _json_text(settings.PANEL_CURRENCY),
        "error": ERROR_ORDER_JSON,
    }


def _statuses_sql(owner: str) -> str:
    """For each id asked, in turn: `"id":` and its status answer, or the error when it is not
    an order of the customer whose id is `owner`. Each order's answer is kept in its row by the
    database (orders_order.api_status, migration 0003): this only joins texts.

    Each id is looked up by primary key in a subquery of its own, which PostgreSQL runs once per
    id and never turns into a join: a join may be planned as a scan of all the customer's
    orders (their user_id index, then a hash), cheap for the few orders statistics may show
    and slow for a reseller with 100,000 (tests/orders/test_api_status_sql.py holds the plan).

    The members come in the order asked: the aggregate reads the array's one scan in turn, with
    no join or sort between. It is not asked for with `ORDER BY` (a sort of the 100 texts,
    a tenth of the statement's time), since a JSON object's members have no order a client may
    rely on; tests hold it all the same.
    """
    return f"""
SELECT string_agg('"' || asked.id || '":' || COALESCE((
    SELECT x.api_status FROM orders_order x WHERE x.id = asked.id AND x.user_id = {owner}
) || %(currency)s || '}}', %(error)s), ',')
FROM unnest(%(ids)s::bigint[]) AS asked (id)
"""  # noqa: S608 (no user input in the text: ids, user and texts are parameters)


_STATUSES_JSON = _statuses_sql(owner="%(user)s")
_STATUSES_ALONG = _statuses_sql(owner="k.user_id")  # inside the key check (user_for_key_along)


class StatusRow(NamedTuple):
    """What the status answer of one order is written from."""

    id: int
    status: str
    charge: Decimal
    refunded: Decimal
    start_count: int | None
    remains: int | None
    quantity: int
    runs: int | None


def _status_rows(user: User, ids: list) -> list[StatusRow]:
    """The customer's orders among `ids`, by hand-written SQL: this is the hottest read of the
    API (100 ids a call, every minute, from every reseller polling us)."""
    numbers = [i for i in ids if isinstance(i, int)]
    if not numbers:
        return []
    columns = ", ".join(StatusRow._fields)
    if connection.vendor == "postgresql":
        where, params = "id = ANY(%s::bigint[])", [array_of(numbers)]
    else:
        where, params = f"id IN ({', '.join(['%s'] * len(numbers))})", numbers
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM orders_order WHERE user_id = %s AND {where}",  # noqa: S608
            [user.pk, *params],
        )
        return [StatusRow._make(row) for row in cursor.fetchall()]


def _status_of(row: StatusRow, currency: str) -> dict:
    charge, refunded = row.charge, row.refunded
    if not isinstance(charge, Decimal):  # SQLite returns floats
        charge, refunded = Decimal(str(charge)), Decimal(str(refunded))
    remains = row.remains
    if remains is None:
        remains = 0 if row.status == OrderStatus.COMPLETED else row.quantity * (row.runs or 1)
    shown = SHOWN.get(row.status)
    return {
        "charge": api_money(charge - refunded),
        "start_count": str(row.start_count or 0),
        "status": shown.api if shown else "Pending",
        "remains": str(remains),
        "currency": currency,
    }


def refill(user: User, data: Mapping[str, str]) -> dict | list:
    if "orders" in data:
        asked = parse_id_list(data["orders"])
        if isinstance(asked, dict):
            return asked
        return [
            {"order": i, "refill": _try(lambda i=i: request_refill(user=user, order_id=i).pk)}
            for i in asked.ids
        ]
    result = _try(lambda: request_refill(user=user, order_id=data.get("order")).pk)
    return result if isinstance(result, dict) else {"refill": str(result)}


def refill_status(user: User, data: Mapping[str, str]) -> dict | list:
    if "refills" in data:
        asked = parse_id_list(data["refills"])
        if isinstance(asked, dict):
            return asked
        found = {r.pk: r for r in Refill.objects.filter(user=user, pk__in=asked.numbers)}
        return [
            {
                "refill": i,
                "status": _refill_label(found[i]) if i in found else {"error": "Refill not found"},
            }
            for i in asked.ids
        ]
    result = _try(lambda: customer_refill(user=user, refill_id=data.get("refill")))
    return result if isinstance(result, dict) else {"status": _refill_label(result)}


def _refill_label(refill: Refill) -> str:
    if refill.status == RequestStatus.ACCEPTED and refill.upstream_status:
        return refill.upstream_status
    return REFILL_STATUS.get(refill.status, "Pending")


def cancel(user: User, data: Mapping[str, str]) -> list:
    raw = data.get("orders") if "orders" in data else data.get("order", "")
    asked = parse_id_list(raw)
    if isinstance(asked, dict):
        return asked
    return [
        {"order": i, "cancel": _try(lambda i=i: request_cancel(user=user, order_id=i) and 1)}
        for i in asked.ids
    ]


def balance(user: User, data: Mapping[str, str]) -> dict:
    value = User.objects.filter(pk=user.pk).values_list("balance", flat=True).get()
    return {"balance": api_money(value), "currency": settings.PANEL_CURRENCY}


ACTIONS: dict[str, Callable[[User, Mapping[str, str]], object]] = {
    "services": services,
    "add": add,
    "status": status,
    "refill": refill,
    "refill_status": refill_status,
    "cancel": cancel,
    "balance": balance,
}


def _try(call: Callable) -> object:
    try:
        return call()
    except RequestRefused as exc:
        return {"error": exc.message}
