"""Adding funds: the funds page, one payment's page, and what gateways send back.

The return and webhook views are called by the gateway (or by its page in the customer's
browser, cross-site): they carry no CSRF token and may carry no session, so they trust only
what is signed, and the return view leads on to the payment's own page, which is the owner's.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)  # fmt: skip
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Payment, PaymentStatus
from panel.clientip import client_ip

from .crediting import UnknownPayment
from .forms import ReferenceForm, StartForm, currency_note
from .methods import METHODS
from .methods.base import MAX_WEBHOOK_BYTES, GatewayError, Urls, WebhookRefused
from .methods.manual import qr_svg, upi_link
from .models import Gateway, GatewayCurrency
from .reports import apply_report
from .reversals import ordering_paused
from .starting import duplicates_of, start_payment, submit_reference

log = logging.getLogger("payments.webhooks")

PAYMENTS_PER_PAGE = 20


def enabled_gateways() -> list[Gateway]:
    currencies = Prefetch("currencies", GatewayCurrency.objects.order_by("id"))
    return [
        g
        for g in Gateway.objects.filter(enabled=True).prefetch_related(currencies)
        if g.code in METHODS
    ]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def funds(request: HttpRequest) -> HttpResponse:
    """One form per enabled method; a valid one starts a payment and leads to its checkout."""
    gateways = enabled_gateways()
    forms = {g.code: StartForm(gateway=g, prefix=g.code) for g in gateways}
    if request.method == "POST":
        gateway = next((g for g in gateways if g.code == request.POST.get("method")), None)
        if gateway is None:
            return HttpResponseBadRequest("Unknown payment method.")
        form = forms[gateway.code] = StartForm(request.POST, gateway=gateway, prefix=gateway.code)
        if form.is_valid():
            response = _start(request, gateway, form)
            if response is not None:
                return response
    payments = Paginator(
        Payment.objects.filter(user=request.user).order_by("-id"), PAYMENTS_PER_PAGE
    )
    methods = [(g, forms[g.code], currency_note(g)) for g in gateways if forms[g.code].usable]
    page = payments.get_page(request.GET.get("page"))
    names = dict(Gateway.objects.values_list("code", "name"))
    for row in page.object_list:
        row.method_label = names.get(row.method, row.method)
    return render(
        request,
        "payments/funds.html",
        {
            "methods": methods,
            "page": page,
            "paused": ordering_paused(request.user.pk),
        },
    )


def _start(request: HttpRequest, gateway: Gateway, form: StartForm) -> HttpResponse | None:
    data = form.cleaned_data
    account = data.get("transfer_account")
    try:
        payment = start_payment(
            user=request.user,
            gateway=gateway,
            currency=data["gateway_currency"],
            amount=data["amount"],
            urls=lambda payment: _urls(request, gateway.code, payment),
            details={"account": account.pk} if account else None,
        )
    except GatewayError as exc:
        messages.error(request, f"{exc} Nothing was charged; please try again later.")
        return None
    checkout = METHODS[gateway.code].checkout(payment=payment, gateway=gateway)
    if checkout is not None and not checkout.is_form:
        return HttpResponseRedirect(checkout.url)
    return redirect("payment", payment.pk)


def _urls(request: HttpRequest, code: str, payment: Payment) -> Urls:
    build = request.build_absolute_uri
    return Urls(
        return_url=build(reverse("payment_return", args=[code])),
        cancel_url=build(reverse("payment", args=[payment.pk])),
        webhook_url=build(reverse("payment_webhook", args=[code])),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def payment(request: HttpRequest, pk: int) -> HttpResponse:
    """One payment: its figures and state; how to pay it while it waits."""
    payment = get_object_or_404(Payment, pk=pk, user=request.user)
    gateway = Gateway.objects.filter(code=payment.method).first()
    form = ReferenceForm(request.POST or None) if _needs_reference(payment) else None
    if request.method == "POST" and (form is None or form.is_valid()):
        if form and submit_reference(payment=payment, reference=form.cleaned_data["reference"]):
            messages.success(request, "Thank you. Staff will match your transfer and add funds.")
        return redirect("payment", payment.pk)
    checkout = None
    if payment.status == PaymentStatus.PENDING and gateway and payment.method in METHODS:
        checkout = METHODS[payment.method].checkout(payment=payment, gateway=gateway)
    context = {
        "payment": payment,
        "method_name": gateway.name if gateway else payment.method,
        "checkout": checkout,
        "form": form,
        "upi": _upi(payment) if form is not None else None,
        "reversals": payment.reversals.order_by("id"),
        "duplicates": duplicates_of(payment) if payment.reference else [],
    }
    return render(request, "payments/payment.html", context)


def _needs_reference(payment: Payment) -> bool:
    return (
        payment.method == "manual"
        and payment.status == PaymentStatus.PENDING
        and (not payment.reference)
    )


def _upi(payment: Payment) -> dict | None:
    details = payment.details
    if details.get("kind") != "upi":
        return None
    link = upi_link(
        upi_id=details["upi_id"],
        payee=details.get("payee_name") or details.get("name", ""),
        amount=payment.gateway_amount,
        currency=payment.currency,
        ref=payment.gateway_ref,
        note=f"Funds {payment.gateway_ref}",
    )
    return {"link": link, "qr": qr_svg(link)}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def payment_return(request: HttpRequest, code: str) -> HttpResponse:
    """Back from a gateway's checkout: credit what its signature or a fresh look proves, then
    show the payment."""
    method, gateway = _method(code)
    params = request.POST if request.method == "POST" else request.GET
    try:
        ref, report = method.parse_return(gateway=gateway, params=params)
        if report is not None:
            apply_report(method=code, report=report)
    except (WebhookRefused, UnknownPayment) as exc:
        _refused(request, code, exc)
        return HttpResponseBadRequest("This payment cannot be confirmed.")
    payment = Payment.objects.filter(method=code, gateway_ref=ref).first()
    if payment is None:
        return HttpResponseBadRequest("This payment cannot be confirmed.")
    return redirect("payment", payment.pk)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, code: str) -> HttpResponse:
    """A gateway's webhook: 200 once handled (or of no interest), 400 when not genuine."""
    method, gateway = _method(code)
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_WEBHOOK_BYTES:
        _refused(request, code, WebhookRefused("body too large"))
        return HttpResponseBadRequest("refused")
    try:
        for report in method.parse_webhook(
            gateway=gateway, body=request.body, headers=request.headers
        ):
            if report is not None:
                apply_report(method=code, report=report)
    except (WebhookRefused, UnknownPayment) as exc:
        _refused(request, code, exc)
        return HttpResponseBadRequest("refused")
    return HttpResponse("ok", content_type="text/plain")


def _method(code: str):
    method = METHODS.get(code)
    gateway = Gateway.objects.filter(code=code).first()
    if method is None or gateway is None or not method.hosted:
        raise Http404("No such gateway.")
    return method, gateway


def _refused(request: HttpRequest, code: str, exc: Exception) -> None:
    """What was wrong and from where; never the body, a header or a secret."""
    reason = exc.reason if isinstance(exc, WebhookRefused) else "unknown payment"
    log.warning("%s %s refused: %s (from %s)", code, request.path, reason, client_ip(request))
