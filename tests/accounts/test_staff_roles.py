"""Staff roles × every admin action and custom admin view: allowed or refused, cell by cell.

The actions and views are discovered from the admin site (`_registry`, each admin's actions
before permission filtering, `get_urls`), so one added later without an entry below, or
without a declared permission, fails here.
"""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client, RequestFactory
from django.urls import URLPattern

from accounts.models import Payment
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import make_customer, make_user
from orders.admin import ACTIONS as ORDER_ACTIONS
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

S, F, C, V, SU = "Support", "Finance", "Catalog", "Viewer", "Superuser"
ROLES = [S, F, C, V, SU]  # Viewer: every view permission and nothing else

# Who may run each action: every action of every registered admin is a key here.
ACTIONS: dict[str, dict[str, set[str]]] = {
    "accounts.ledgerentry": {"delete_selected": set()},
    "accounts.payment": {"delete_selected": set(), "approve_selected": {F, SU},
                         "reject_selected": {F, SU}},
    "accounts.user": {"delete_selected": {SU}, "adjust_balance": {F, SU},
                      "reset_second_factor": {SU}},
    "audit.auditentry": {"delete_selected": set()},
    "auth.group": {"delete_selected": {SU}},
    "axes.accessattempt": {"delete_selected": {SU}, "cleanup_expired_attempts": {SU}},
    "axes.accessfailurelog": {"delete_selected": {SU}},
    "axes.accesslog": {"delete_selected": {SU}},
    "catalog.category": {"delete_selected": {C, SU}},
    "catalog.markuprule": {"delete_selected": {C, SU}},
    "catalog.provider": {"delete_selected": {C, SU}, "sync_now": {C, SU},
                         "check_balance": {C, SU}},
    "catalog.service": {"delete_selected": {C, SU}, "set_markup": {C, SU}},
    "catalog.upstreamservice": {"delete_selected": set()},
    "orders.cancelrequest": {"delete_selected": set()},
    "orders.order": {
        "delete_selected": set(),
        "attach_upstream_id_action": {S, SU},
        "confirm_not_created_and_resend_action": {S, SU},
        "resend_action": {S, SU},
        "edit_link_action": {S, SU},
        "cancel_with_refund_action": {F, SU},  # refunds: money
        "set_partial_action": {F, SU},
    },
    "orders.orderaction": {"delete_selected": set()},
    "orders.refill": {"delete_selected": set()},
    "outbox.outboxmail": {"delete_selected": set(), "retry": {SU}},
    "pages.page": {"delete_selected": {SU}},
    "pages.post": {"delete_selected": {SU}, "publish": {SU}, "unpublish": {SU}},
    "pages.sitesettings": {"delete_selected": set()},
    "payments.gateway": {"delete_selected": set()},
    "payments.reversal": {"delete_selected": set(), "collect_selected": {F, SU},
                          "write_off_selected": {F, SU}},
    "payments.transferaccount": {"delete_selected": {SU}},
    "support.cannedreply": {"delete_selected": {SU}},
    "support.department": {"delete_selected": {SU}},
    "staff.balancereading": {"delete_selected": set()},
    "staff.providercall": {"delete_selected": set()},
    "staff.providerwatch": {"delete_selected": {SU}},
    "staff.servicewatch": {"delete_selected": {SU}},
    "support.ticket": {"delete_selected": set(), "assign_to_me": {S, SU},
                       "close_tickets": {S, SU}},
}  # fmt: skip

# The staff pages beside the admin (staff/, reports/): who may open each.
STAFF_PAGES = {
    "/admin/staff/": {S, F, C, V, SU},
    "/admin/staff/needs/": {S, F, C, V, SU},
    "/admin/reports/": {F, C, V, SU},
}

# Each custom admin view (a URL an admin adds to its defaults): who may open it.
VIEWS: dict[str, set[str]] = {
    "accounts_payment_approve": {F, SU},
    "accounts_payment_reject": {F, SU},
    "accounts_user_adjust_balance": {F, SU},
    "auth_user_password_change": {SU},
    "orders_order_staff_action": set(),  # per action: ORDER_VIEW_CELLS
}
ORDER_VIEW_CELLS = {
    name: ACTIONS["orders.order"][f"{name}_action"] for name in ORDER_ACTIONS
}  # the buttons on an order's page: the same powers as the list's actions
# The admin site's own pages beyond Django's: the second factor's, for any signed-in staff.
SITE_VIEWS = {"otp_verify", "otp_enrol"}
DJANGO_SITE_VIEWS = {
    "index", "login", "logout", "password_change", "password_change_done", "autocomplete",
    "jsi18n", "view_on_site", "app_list",
}  # fmt: skip


def registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)


def custom_url_names(model, model_admin) -> set[str]:
    prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
    defaults = {prefix + suffix for suffix in ("changelist", "add", "history", "delete", "change")}
    return {u.name for u in model_admin.get_urls() if u.name and u.name not in defaults}


@pytest.fixture
def staff_by_role(db) -> dict[str, object]:
    people = {}
    for role in (S, F, C):
        user = make_user(f"role-{role.lower()}", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        people[role] = user
    viewer = make_user("role-viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    people[V] = viewer
    people[SU] = make_user("role-superuser", is_staff=True, is_superuser=True)
    return people


def test_the_roles_ship_with_the_panel_as_groups():
    assert set(Group.objects.filter(name__in=[S, F, C]).values_list("name", flat=True)) == {
        S, F, C,
    }  # fmt: skip
    finance = set(Group.objects.get(name=F).permissions.values_list("codename", flat=True))
    assert {"adjust_balance", "decide_payment", "refund_order"} <= finance
    support = set(Group.objects.get(name=S).permissions.values_list("codename", flat=True))
    assert not {"adjust_balance", "decide_payment", "refund_order", "change_service"} & support
    assert not {p for p in support if p.endswith("provider") or p.endswith("markuprule")}


def test_every_admin_action_declares_a_permission():
    undeclared = [
        f"{model._meta.label_lower}.{name}"
        for model, model_admin in registered()
        for func, name, _ in model_admin._get_base_actions()
        if not getattr(func, "allowed_permissions", None)
    ]
    assert undeclared == []


def test_every_action_is_in_the_matrix():
    found = {
        (model._meta.label_lower, name)
        for model, model_admin in registered()
        for _, name, _ in model_admin._get_base_actions()
    }
    listed = {(model, name) for model, actions in ACTIONS.items() for name in actions}
    assert found == listed, "a new admin action: say in ACTIONS which roles may run it"


def test_every_custom_view_is_in_the_matrix():
    found = {name for model, ma in registered() for name in custom_url_names(model, ma)}
    assert found == set(VIEWS)
    site = {u.name for u in admin.site.get_urls() if isinstance(u, URLPattern) and u.name}
    assert site - DJANGO_SITE_VIEWS == SITE_VIEWS


@pytest.mark.parametrize("role", ROLES)
def test_role_by_action(role, staff_by_role):
    request = RequestFactory().get("/admin/")
    request.user = staff_by_role[role]
    cells = {}
    for model, model_admin in registered():
        offered = set(model_admin.get_actions(request))
        for name in ACTIONS[model._meta.label_lower]:
            cells[f"{model._meta.label_lower}.{name}"] = name in offered
    expected = {
        f"{model}.{name}": role in roles
        for model, actions in ACTIONS.items()
        for name, roles in actions.items()
    }
    assert cells == expected


@pytest.fixture
def rows(db):
    customer = make_customer("cust", "50")
    service = make_service(make_upstream(make_provider(name="P"), rate="1.00"))
    order = Order.objects.create(
        user=customer, service=service, link="https://instagram.com/x", quantity=100,
        rate=Decimal("1"), charge=Decimal("0.1"), status=OrderStatus.UNKNOWN,
    )  # fmt: skip
    payment = Payment.objects.create(
        user=customer, method="manual", amount=Decimal("5"), reference="T-1"
    )
    return {"customer": customer, "order": order, "payment": payment}


@pytest.mark.parametrize("role", ROLES)
def test_role_by_custom_view(role, staff_by_role, rows):
    client = Client()
    client.force_login(staff_by_role[role])
    urls = {
        "accounts_payment_approve": (f"/admin/accounts/payment/{rows['payment'].pk}/approve/",),
        "accounts_payment_reject": (f"/admin/accounts/payment/{rows['payment'].pk}/reject/",),
        "accounts_user_adjust_balance": (
            f"/admin/accounts/user/{rows['customer'].pk}/adjust-balance/",
        ),
        "auth_user_password_change": (f"/admin/accounts/user/{rows['customer'].pk}/password/",),
    }
    cells, expected = {}, {}
    for name, (url,) in urls.items():
        cells[name] = client.get(url).status_code
        expected[name] = 200 if role in VIEWS[name] else 403
    for name, roles in ORDER_VIEW_CELLS.items():
        url = f"/admin/orders/order/{rows['order'].pk}/staff/{name}/"
        cells[f"order:{name}"] = client.get(url).status_code
        expected[f"order:{name}"] = 200 if role in roles else 403
    for name in SITE_VIEWS:  # the second factor's pages: every staff member's own
        cells[name] = client.get(f"/admin/{'2fa/' if name == 'otp_verify' else '2fa/enrol/'}")
        cells[name] = cells[name].status_code in (200, 302)
        expected[name] = True
    assert cells == expected


@pytest.mark.parametrize("role", ROLES)
def test_role_by_staff_page(role, staff_by_role):
    """Every role reads the dashboard and the needs-a-hand list; the profit reports are for
    Finance and Catalog (and the Viewer, who holds every view_* permission, these included).
    Support is refused the reports: a role without the permission gets 403."""
    client = Client()
    client.force_login(staff_by_role[role])
    cells = {url: client.get(url).status_code for url in STAFF_PAGES}
    assert cells == {url: 200 if role in roles else 403 for url, roles in STAFF_PAGES.items()}
