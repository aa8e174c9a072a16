"""The staff pages under /admin/staff/: the dashboard and the needs-a-hand list. Both are
read-only and need `staff.view_dashboard` (view-only staff may have it); every action they
offer is a link to the admin page that does it, which checks its own permission."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone

from . import needs
from .dashboard import dashboard as dashboard_data

PERMISSION = "staff.view_dashboard"


def _check(request) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def dashboard(request):
    _check(request)
    context = {
        **admin.site.each_context(request),
        "title": "Staff dashboard",
        "staff_dashboard": dashboard_data(timezone.now()),
    }
    return TemplateResponse(request, "staff/dashboard.html", context)


def needs_a_hand(request):
    _check(request)
    context = {
        **admin.site.each_context(request),
        "title": "Needs a hand",
        "kinds": needs.needs_a_hand(timezone.now()),
    }
    return TemplateResponse(request, "staff/needs.html", context)
