"""The customer's order pages: new order, mass order, the orders list, refills and cancels.

Thin: parse the request, call orders.placing, orders.refills or orders.cancels, answer. Placing is the only
judge of an order and its charge; the page's script only previews the charge.
"""

from decimal import Decimal
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods, require_POST

from accounts.ledger import InsufficientFunds
from catalog.averages import average_text
from panel.money import format_money

from . import forms
from .cancels import request_cancel
from .customer_list import (
    TABS,
    Filters,
    TwoStepPage,
    again_url,
    csv_lines,
    customer_orders,
    recent_services,
    tab_counts,
)
from .models import (
    REFILL_STATUS,
    SHOWN,
    CancelRequest,
    Order,
    OrderStatus,
    Refill,
    RequestStatus,
)
from .placing import (
    LineError,
    get_service,
    place_mass_order,
    place_order,
    recent_service,
    shortfall_message,
)
from .refills import can_refill, request_refill
from .timeline import delivered, drip_runs, order_timeline
from .types import spec_for
from .upstream_requests import OPEN, RequestRefused
from .validation import OrderError, field_errors, validate

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
    values = _again_values(request.GET, service) if service else {}
    return _order_page(request, service=service, values=values, top_error=error)


def _again_values(params, service) -> dict[str, str]:
    """The form's first values from the address ("order again": `link`, `quantity`): only
    what could be right — printable text of a link's length, a whole number within the
    service's limits. Anything else is left out; placing judges the rest, as ever."""
    values = {}
    link = params.get("link", "").strip()
    if link and len(link) <= 2000 and link.isprintable():
        values["link"] = link
    quantity = _int(params.get("quantity"))
    if quantity is not None and service.min <= quantity <= service.max:
        values["quantity"] = str(quantity)
    return values


def _order_post(request):
    post = request.POST
    service = fields = None
    try:
        # Placing, the usual post, needs only the terms placing keeps at hand; the pages
        # (edit, confirm, an error) show the whole service.
        placing = post.get("action") == "place"
        service = (recent_service if placing else get_service)(post.get("service"))
        fields = forms.posted_fields(post, service)
        if post.get("action") == "edit":
            return _order_page(request, service=service, values=post)
        if post.get("action") != "place":
            return _confirm_page(request, service, fields, validate(service, fields))
        reference = forms.client_reference(post.get("ref"), service.pk, fields)
        return _place(request, service, fields, reference)
    except OrderError as exc:
        service = _whole(service)
        # Every field's problem at once, next to the field; what belongs to none at the top.
        found = field_errors(service, fields) if service and fields is not None else []
        errors, top = {}, []
        for error in [exc, *found]:
            target = forms.error_target(error, service)
            if target:
                errors.setdefault(target, error.detail)
            elif error.detail not in top:
                top.append(error.detail)
        return _order_page(
            request, service=service, values=post, errors=errors, top_error=" ".join(top)
        )
    except InsufficientFunds as exc:
        service = _whole(service)
        return _order_page(request, service=service, values=post, shortfall=_shortfall(exc))


def _whole(service):
    """The service with every field, to show it; None if it went off sale meanwhile."""
    if service is None or not service.get_deferred_fields():
        return service
    try:
        return get_service(service.pk)
    except OrderError:
        return None


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
            "average": average_text(service.average_seconds),
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


PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "HEAD"])
def orders(request):
    """The customer's orders: status tabs with counts, search, service and date filters
    (orders/customer_list.py, shared with the CSV export)."""
    filters = Filters.parse(request.GET)
    counts = tab_counts(request.user, filters)
    found = customer_orders(request.user, filters)
    # The count is known from the tabs: no second count.
    paginator = Paginator(TwoStepPage(found, counts[filters.tab.slug]), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for order in page:
        order.badge = SHOWN[order.status].tab if order.status in SHOWN else "in_progress"
        order.web_link = _is_web(order.link)
        order.again_url = again_url(order)
    _mark_actions(page.object_list)
    return render(
        request,
        "orders/list.html",
        {
            "page": page,
            "tabs": [(tab.slug, tab.label, counts[tab.slug]) for tab in TABS],
            "status": filters.tab.slug,
            "query": filters.query,
            "filters": filters,
            "services": recent_services(request.user, filters.service),
            "csv_url": reverse("orders_csv") + "?" + filters.params(),
            "here": request.get_full_path(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def orders_csv(request):
    """The orders the list shows under the same filters, every page, as CSV: streamed from
    the database in chunks, so any number of orders costs the same memory."""
    filters = Filters.parse(request.GET)
    rows = customer_orders(request.user, filters)
    response = StreamingHttpResponse(
        csv_lines(rows, settings.PANEL_CURRENCY, timezone.get_current_timezone()),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# --- one order -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def order_detail(request, order_id: int):
    """One order of the customer's: what was bought, paid and refunded, its timeline, and the
    actions that apply. Another customer's order is not found, like one that does not exist."""
    order = get_object_or_404(
        Order.objects.select_related("service"), pk=order_id, user=request.user
    )
    order.badge = SHOWN[order.status].tab if order.status in SHOWN else "in_progress"
    order.web_link = _is_web(order.link)
    _mark_actions([order])
    again = {"service": order.service_id, "link": order.link, "quantity": order.quantity}
    if not order.link:
        del again["link"]
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "delivered": delivered(order),
            "runs": drip_runs(order),
            "timeline": order_timeline(order, settings.PANEL_CURRENCY),
            "again_url": f"{reverse('order_new')}?{urlencode(again)}",
            "here": request.get_full_path(),
        },
    )


# --- refills and cancels --------------------------------------------------------------------

CANCELABLE = (OrderStatus.PENDING, OrderStatus.HELD, OrderStatus.IN_PROGRESS)
REFUSED = (RequestStatus.REJECTED, RequestStatus.FAILED)
REFILL_BADGE = {"Pending": "pending", "In progress": "in_progress", "Completed": "completed"}


def _mark_actions(orders) -> None:
    """What each row offers. One query for the page's open refills, one for the cancel
    requests of its running orders (the latest one says requested, or rejected and why)."""
    ids = [order.pk for order in orders]
    if not ids:
        return
    refills = {
        refill.order_id: refill
        for refill in Refill.objects.filter(order_id__in=ids, status__in=OPEN).only(
            "id", "order_id", "status"
        )
    }
    # Every order's latest cancel request: a refused one stays shown after the order moved on
    # (it usually completes), so the customer learns the cancel did not happen.
    cancels = {}
    if ids:
        for cancel in (
            CancelRequest.objects.filter(order_id__in=ids, status__in=(*OPEN, *REFUSED))
            .only("id", "order_id", "status", "error")
            .order_by("id")
        ):
            cancels[cancel.order_id] = cancel  # the latest wins
    now = timezone.now()
    for order in orders:
        refill = refills.get(order.pk)
        order.open_refill = REFILL_STATUS.get(refill.status, "Pending") if refill else ""
        order.refillable = not refill and can_refill(order, now=now)
        cancel = cancels.get(order.pk)
        order.cancel_requested = bool(cancel) and cancel.status in OPEN
        order.cancel_rejected = bool(cancel) and cancel.status in REFUSED
        order.cancel_error = (cancel.error or _refused_why(order)) if order.cancel_rejected else ""
        order.cancelable = (
            order.status in CANCELABLE and order.service.cancel and not order.cancel_requested
        )


def _refused_why(order: Order) -> str:
    if order.status == OrderStatus.COMPLETED:
        return "the order was completed first"
    return "the provider could not cancel it"


@login_required
@require_POST
def order_refill(request, order_id: int):
    order = _customer_order(request, order_id)
    try:
        refill = request_refill(user=request.user, order_id=order.pk)
    except RequestRefused:
        messages.error(
            request,
            f"Order #{order.pk} cannot be refilled: refills are for completed orders of "
            f"services with refill, within {settings.REFILL_WINDOW_DAYS} days of the order, "
            "one at a time.",
        )
    else:
        messages.success(request, f"Refill #{refill.pk} requested for order #{order.pk}.")
    return _back_to_orders(request)


@login_required
@require_POST
def order_cancel(request, order_id: int):
    order = _customer_order(request, order_id)
    try:
        result = request_cancel(user=request.user, order_id=order.pk)
    except RequestRefused:
        messages.error(
            request,
            f"Order #{order.pk} cannot be canceled: its service does not allow cancel, "
            "a cancel is already requested, or the order is past the point of canceling.",
        )
    else:
        if isinstance(result, Order):
            messages.success(
                request, f"Order #{order.pk} canceled and refunded {_money(result.refunded)}."
            )
        else:
            messages.success(request, f"Cancel requested for order #{order.pk}.")
    return _back_to_orders(request)


def _customer_order(request, order_id: int) -> Order:
    """Another customer's order is not found, exactly like one that does not exist."""
    return get_object_or_404(Order.objects.only("id"), pk=order_id, user=request.user)


def _back_to_orders(request):
    """Back to the list the button was on, with its tab, search and page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("orders")
    return redirect(target)


@login_required
@require_http_methods(["GET", "HEAD"])
def refills(request):
    found = Refill.objects.filter(user=request.user).select_related("order__service")
    page = Paginator(found.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    for refill in page:
        refill.label = REFILL_STATUS.get(refill.status, "Pending")
        refill.badge = REFILL_BADGE.get(refill.label, "failed")
        refill.web_link = _is_web(refill.order.link)
    return render(request, "orders/refills.html", {"page": page})


# --- helpers --------------------------------------------------------------------------------


def _shortfall(exc: InsufficientFunds) -> str:
    return shortfall_message(exc, settings.PANEL_CURRENCY)


def _money(amount: Decimal) -> str:
    return f"{format_money(amount)} {settings.PANEL_CURRENCY}"


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
