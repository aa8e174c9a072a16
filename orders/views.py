"""The customer's order pages: new order, mass order, the orders list.

Thin: parse the request, call orders.placing, answer. Placing is the only judge of an order
and its charge; the page's script only previews the charge.
"""

from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods

from accounts.ledger import InsufficientFunds
from panel.templatetags.panel import money

from . import forms
from .models import Order, OrderStatus
from .placing import (
    LineError,
    OrderError,
    get_service,
    place_mass_order,
    place_order,
    shortfall_message,
    validate,
)
from .types import spec_for

# --- new order ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@gzip_page  # the service list makes the page about 1.5 MB; gzip brings it near 200 KB
def order_new(request):
    if request.method == "POST":
        return _order_post(request)
    service, error = None, ""
    if request.GET.get("service"):
        try:
            service = get_service(request.GET["service"])
        except OrderError as exc:
            error = exc.detail
    return _order_page(request, service=service, top_error=error)


def _order_post(request):
    post = request.POST
    service = None
    try:
        service = get_service(post.get("service"))
        fields = forms.posted_fields(post, service)
        if post.get("action") == "edit":
            return _order_page(request, service=service, values=post)
        if post.get("action") != "place":
            return _confirm_page(request, service, fields, validate(service, fields))
        reference = forms.client_reference(post.get("ref"), service.pk, fields)
        return _place(request, service, fields, reference)
    except OrderError as exc:
        target = forms.error_target(exc, service)
        return _order_page(
            request,
            service=service,
            values=post,
            errors={target: exc.detail} if target else {},
            top_error="" if target else exc.detail,
        )
    except InsufficientFunds as exc:
        return _order_page(request, service=service, values=post, shortfall=_shortfall(exc))


def _place(request, service, fields, reference: str | None):
    """Place the order once per form: a form posted again (the back button, a double click)
    finds the order it already placed instead of placing a second one."""
    order = _placed_with(request.user, reference)
    if order:
        messages.info(request, f"Order #{order.pk} was already placed; it was not placed twice.")
        return redirect("orders")
    try:
        order = place_order(
            user=request.user, service_id=service.pk, fields=fields, client_reference=reference
        )
    except IntegrityError:
        # The same form posted twice at once: the other request placed it (unique reference).
        if not _placed_with(request.user, reference):
            raise
        messages.info(request, "This order was already placed; it was not placed twice.")
        return redirect("orders")
    messages.success(request, f"Order #{order.pk} placed: charged {_money(order.charge)}.")
    return redirect("orders")


def _placed_with(user, reference: str | None) -> Order | None:
    if not reference:
        return None
    return Order.objects.filter(user=user, client_reference=reference).only("id").first()


def _order_page(request, *, service=None, values=None, errors=None, top_error="", shortfall=""):
    values, errors = values or {}, errors or {}
    rows = forms.service_rows()
    category = service.category_id if service else _int(request.GET.get("category"))
    query = _text(request.GET.get("q", ""))
    context = {
        "service": service,
        "top_error": top_error,
        "shortfall": shortfall,
        "category": category,
        "query": query,
        "categories": forms.categories(rows),
        "options_html": mark_safe(  # noqa: S308 (escaped in forms.service_options)
            forms.service_options(
                rows,
                selected=service.pk if service else None,
                category=category,
                query=query,
                currency=settings.PANEL_CURRENCY,
            )
        ),
        "data_json": forms.page_data(
            rows, balance=request.user.balance, currency=settings.PANEL_CURRENCY
        ),
        "ref": forms.form_reference(values.get("ref")),
    }
    if service is not None:
        context |= {
            "spec": spec_for(service.type),
            "rate_label": forms.rate_label(service.rate, service.type, settings.PANEL_CURRENCY),
            "fields": forms.form_fields(service, values, errors),
            "can_dripfeed": forms.can_dripfeed(service),
            "dripfeed_on": bool(values.get("dripfeed")) or "runs" in errors or "interval" in errors,
            "dripfeed_fields": forms.dripfeed_fields(values, errors),
        }
    return render(request, "orders/new.html", context)


def _confirm_page(request, service, fields, terms):
    balance = request.user.balance
    return render(
        request,
        "orders/confirm.html",
        {
            "service": service,
            "rate_label": forms.rate_label(service.rate, service.type, settings.PANEL_CURRENCY),
            "terms": terms,
            "fields": fields,
            "dripfeed": "runs" in fields,
            "shows_quantity": spec_for(service.type).quantity is not None,
            "ref": forms.form_reference(request.POST.get("ref")),
            "extra": [
                (field.label, terms.extra[field.name])
                for field in spec_for(service.type).fields
                if field.name in terms.extra
            ],
            "balance": balance,
            "after": balance - terms.charge,
            "shortfall": (
                _shortfall(InsufficientFunds(balance=balance, amount=terms.charge))
                if terms.charge > balance
                else ""
            ),
        },
    )


# --- mass order -----------------------------------------------------------------------------

MASS_RESULT = "mass_order_result"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mass_order(request):
    if request.method == "GET":
        return _mass_page(request, **_mass_result(request))
    text = request.POST.get("orders", "")
    try:
        result = place_mass_order(user=request.user, text=text)
    except OrderError as exc:
        return _mass_page(request, text=text, error=exc.detail)
    except InsufficientFunds as exc:
        return _mass_page(request, text=text, shortfall=_shortfall(exc))
    if not result.orders:
        return _mass_page(request, text=text, errors=result.errors)
    # Money moved: redirect, so a reload cannot place the same lines again.
    request.session[MASS_RESULT] = {
        "ids": [order.pk for order in result.orders],
        "total": str(result.total),
        "errors": [[e.line, e.text, e.reason] for e in result.errors],
    }
    return redirect("mass_order")


def _mass_result(request) -> dict:
    """The placement the last POST redirected from, shown once."""
    stored = request.session.pop(MASS_RESULT, None)
    if not stored:
        return {}
    errors = [LineError(*error) for error in stored["errors"]]
    return {
        "placed": Order.objects.filter(user=request.user, pk__in=stored["ids"])
        .select_related("service")
        .order_by("id"),
        "total": Decimal(stored["total"]),
        "errors": errors,
        # Only the lines that were not placed go back into the box, to fix and send again.
        "text": "\n".join(error.text for error in errors),
    }


def _mass_page(request, *, text="", error="", shortfall="", errors=(), placed=(), total=None):
    return render(
        request,
        "orders/mass.html",
        {
            "text": text,
            "error": error,
            "shortfall": shortfall,
            "errors": errors,
            "placed": placed,
            "total": total,
        },
    )


# --- orders list ----------------------------------------------------------------------------

# Tabs: (slug, label, statuses). UNKNOWN ("Processing" to the customer) counts as in progress.
TABS = (
    ("", "All", ()),
    ("pending", "Pending", (OrderStatus.PENDING, OrderStatus.SENDING, OrderStatus.HELD)),
    ("in_progress", "In progress", (OrderStatus.IN_PROGRESS, OrderStatus.UNKNOWN)),
    ("completed", "Completed", (OrderStatus.COMPLETED,)),
    ("partial", "Partial", (OrderStatus.PARTIAL,)),
    ("canceled", "Canceled", (OrderStatus.CANCELED,)),
    ("failed", "Failed", (OrderStatus.FAILED,)),
)
BADGE = {status: slug for slug, _, statuses in TABS for status in statuses}
PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "HEAD"])
def orders(request):
    status = request.GET.get("status", "")
    tab = next((tab for tab in TABS if tab[0] == status), TABS[0])
    query = _text(request.GET.get("q", "")).lstrip("#")
    found = Order.objects.filter(user=request.user).select_related("service").order_by("-id")
    if tab[2]:
        found = found.filter(status__in=tab[2])
    if query.isascii() and query.isdigit():
        found = found.filter(pk=int(query)) if len(query) <= 18 else found.none()
    elif query:
        found = found.filter(link__icontains=query)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    for order in page:
        order.badge = BADGE.get(order.status, "in_progress")
        order.web_link = _is_web(order.link)
    return render(
        request,
        "orders/list.html",
        {
            "page": page,
            "tabs": TABS,
            "status": tab[0],
            "query": query,
        },
    )


# --- helpers --------------------------------------------------------------------------------


def _shortfall(exc: InsufficientFunds) -> str:
    return shortfall_message(exc, settings.PANEL_CURRENCY)


def _money(amount: Decimal) -> str:
    return f"{money(amount)} {settings.PANEL_CURRENCY}"


def _int(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _text(raw: str) -> str:
    """Printable text only (PostgreSQL refuses NUL bytes), at most 200 characters."""
    return "".join(ch for ch in raw[:200] if ch.isprintable()).strip()


def _is_web(link: str) -> bool:
    """Only http(s) links become clickable; anything else (javascript:, data:) stays text."""
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
