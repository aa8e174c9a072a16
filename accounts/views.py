"""The customer's account pages: dashboard, sign-up, the ledger, the account (adding funds:
payments/views.py).

Log in, log out and the password pages are Django's own views with the panel's templates
(accounts/urls.py). Throttling: django-axes locks a username + address pair out after a few
wrong passwords (settings); on top, `throttled` caps login attempts per username and per
address, and sign-ups and password-reset requests per address (LOGIN_RATE_PER_USERNAME,
LOGIN_RATE_PER_IP, SIGNUP_RATE_PER_IP, PASSWORD_RESET_RATE_PER_IP, each per hour).
"""

import hashlib
import re
from collections.abc import Callable
from decimal import Decimal
from functools import wraps

from axes.utils import reset as reset_login_failures
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from catalog.listing import category_summaries
from orders.customer_list import Filters, tab_counts
from orders.models import Order
from pages.cache import cached, catalog_timeout
from pages.site import panel_name
from pages.views import landing
from panel.clientip import client_ip
from panel.ratelimit import allow

from .apikeys import issue_key
from .forms import EmailForm, SetPasswordForm, SettingsForm, SignupForm
from .models import ApiKey, LedgerEntry, LedgerKind, User

HOUR = 3600
RECENT_ORDERS = 10
JUST_SIGNED_UP = "just_signed_up"
LEDGER_PER_PAGE = 50


def order_counts(user: User) -> dict[str, int]:
    """All of the customer's orders, and how many are in each group: the orders list's tab
    counts (one query, or the cache for a very large customer: orders/customer_list.py)."""
    tabs = tab_counts(user, Filters.parse(QueryDict()))
    return {
        "total": tabs[""],
        "active": tabs["pending"] + tabs["in_progress"],
        "completed": tabs["completed"],
        "partial": tabs["partial"],
        "canceled": tabs["canceled"] + tabs["failed"],
    }


def spent_on_orders(user: User) -> Decimal:
    """What the customer's orders cost them: charges less refunds, from the ledger."""
    kinds = [LedgerKind.CHARGE, LedgerKind.REFUND]
    net = LedgerEntry.objects.filter(user=user, kind__in=kinds).aggregate(net=Sum("amount"))["net"]
    return Decimal(0) - (net or Decimal(0))


def _username_key(request: HttpRequest) -> str:
    username = request.POST.get("username", "").strip().casefold()[:150]
    return hashlib.sha256(username.encode()).hexdigest()[:32]


# What each throttled page counts, per POST: (name, setting holding the hourly limit, whose).
LIMITS: dict[str, list[tuple[str, str, Callable[[HttpRequest], str]]]] = {
    "login": [
        ("login-user", "LOGIN_RATE_PER_USERNAME", _username_key),
        ("login-ip", "LOGIN_RATE_PER_IP", client_ip),
    ],
    "signup": [("signup-ip", "SIGNUP_RATE_PER_IP", client_ip)],
    "password_reset": [("reset-ip", "PASSWORD_RESET_RATE_PER_IP", client_ip)],
}


def throttled(page: str):
    """Count each POST to the view against LIMITS[page]; past any limit, answer 429 without
    running the view (no password checked, no account made, no mail sent)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                for name, setting, whose in LIMITS[page]:
                    if not allow(f"{name}:{whose(request)}", getattr(settings, setting), HOUR):
                        response = render(
                            request, "registration/throttled.html", {"page": page}, status=429
                        )
                        response["Retry-After"] = str(HOUR)
                        return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


@require_http_methods(["GET", "HEAD"])
def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return landing(request)  # visitors get the panel's front page
    recent = Order.objects.filter(user=request.user).select_related("service")[:RECENT_ORDERS]
    return render(
        request,
        "accounts/dashboard.html",
        {
            "counts": order_counts(request.user),
            "spent": spent_on_orders(request.user),
            "recent_orders": recent,
            "categories": quick_order_categories(),
            "just_signed_up": request.session.pop(JUST_SIGNED_UP, False),
        },
    )


def quick_order_categories() -> list[tuple[int, str]]:
    """The quick order's categories: those with a service on sale (the services page's
    cached summaries)."""
    summaries = cached(
        "services:summaries", category_summaries, scopes=("catalog",), timeout=catalog_timeout()
    )
    return [(summary.id, summary.name) for summary in summaries]


@throttled("signup")
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to {panel_name()}, {user.username}!")
        request.session[JUST_SIGNED_UP] = True  # the dashboard does not say "welcome back"
        return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD"])
def transactions(request: HttpRequest) -> HttpResponse:
    """The customer's ledger, newest first."""
    entries = LedgerEntry.objects.filter(user=request.user).order_by("-id")
    page = Paginator(entries, LEDGER_PER_PAGE).get_page(request.GET.get("page"))
    for entry in page:
        entry.shown_memo = customer_memo(entry.memo)
    return render(request, "accounts/transactions.html", {"page": page})


# Refund rows written before staff reasons were kept out of memos (ledger rows are never
# rewritten): their staff reason is cut off on display.
_STAFF_MEMOS = (
    (re.compile(r"(Order #\d+) canceled by staff: .*", re.S), r"\1 canceled and refunded"),
    (
        re.compile(r"(Order #\d+) set partial by staff \((\d+) not delivered\): .*", re.S),
        r"\1 partially delivered: \2 not delivered, refunded",
    ),
)


def customer_memo(memo: str) -> str:
    """A ledger row's memo as the customer sees it: never a staff member's internal reason."""
    for pattern, shown in _STAFF_MEMOS:
        if pattern.fullmatch(memo):
            return pattern.sub(shown, memo)
    return memo


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The email form and the settings form (time zone, mails): each posts on its own."""
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form") if posted else None
    form = EmailForm(posted if which != "settings" else None, instance=request.user)
    settings_form = SettingsForm(
        posted if which == "settings" else None, instance=request.user, prefix="settings"
    )
    if posted and which == "settings" and settings_form.is_valid():
        settings_form.save()
        messages.success(request, "Your settings are saved.")
        return redirect("account")
    if posted and which != "settings" and form.is_valid():
        form.save()
        messages.success(request, "Your email address is saved.")
        return redirect("account")
    return render(request, "accounts/account.html", {"form": form, "settings_form": settings_form})


NEW_KEY = "api_new_key"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api(request: HttpRequest) -> HttpResponse:
    """The customer's API key and the API's documentation.

    A POST makes the key and redirects (post/redirect/get): the new key is shown once, on
    the page the redirect lands on, so a reload shows the page and never makes another key.
    Replacing a key that exists needs `confirm`: the page asks first.
    """
    key = ApiKey.objects.filter(user=request.user).first()
    if request.method == "POST":
        if key and request.POST.get("confirm") != "yes":
            return redirect(reverse("api") + "?regenerate=1#key-title")
        request.session[NEW_KEY] = issue_key(request.user)  # the old key stops working now
        messages.success(
            request, "Your new API key is below. Copy it now: it won't be shown again."
        )
        return redirect(reverse("api") + "#key-title")
    new_key = request.session.pop(NEW_KEY, None)
    if new_key:
        key = ApiKey.objects.filter(user=request.user).first()
    context = {
        "key": key,
        "new_key": new_key,
        "confirming": bool(key) and not new_key and request.GET.get("regenerate") == "1",
        "api_url": request.build_absolute_uri(reverse("api_v2")),
        "example_key": new_key or "YOUR_API_KEY",
    }
    response = render(request, "accounts/api.html", context)
    response["Cache-Control"] = "no-store"  # the page may carry the key
    return response


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), saying so on the page it lands on."""

    def post(self, request, *args, **kwargs):
        was_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_in:
            messages.info(request, "You have logged out. See you soon!")
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view, plus: a password set through the emailed link lifts the login lockout
    of that username, so "reset your password" is a way out of being locked out."""

    form_class = SetPasswordForm

    def form_valid(self, form):
        response = super().form_valid(form)
        reset_login_failures(username=form.user.get_username())
        return response
