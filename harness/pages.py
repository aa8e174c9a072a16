"""Every page a person sees, to walk in tests that check what all of them show (the Content
Security Policy, secrets never shown): the public pages, the customer's, and every admin
changelist, add and change page of every registered model."""

from collections.abc import Iterator

from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

PUBLIC = ["dashboard", "login", "signup", "password_reset", "services", "blog", "tickets"]
CUSTOMER = [
    "dashboard",
    "order_new",
    "mass_order",
    "orders",
    "refills",
    "transactions",
    "account",
    "api",
    "password_change",
    "funds",
    "tickets",
    "new",
]


def named(names: list[str]) -> Iterator[str]:
    for name in names:
        try:
            yield reverse(name)
        except NoReverseMatch:
            continue  # a page another branch renamed: the others still count


def admin_pages(user) -> Iterator[str]:
    """The admin index, then per registered model its changelist, add page (where `user` may
    add) and the change page of each of its first three rows."""
    request = RequestFactory().get("/admin/")
    request.user = user
    yield reverse("admin:index")
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        yield reverse("admin:{}_{}_changelist".format(*info))
        if model_admin.has_add_permission(request):
            yield reverse("admin:{}_{}_add".format(*info))
        for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:3]:
            yield reverse("admin:{}_{}_change".format(*info), args=[pk])
