"""The dashboard's quick order: a category's services for its picker (JSON, read by
static/js/quick-order.js). The form itself posts to the new-order page's normal review step."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from catalog.averages import average_text

from .forms import rate_label
from .placing import sellable_services


@login_required
@require_http_methods(["GET", "HEAD"])
def category_services(request, category_id: int):
    """The services on sale in one category: id, name, rate label, min, max, average time."""
    rows = (
        sellable_services()
        .filter(category_id=category_id)
        .order_by("position", "id")
        .values_list("id", "name", "rate", "type", "min", "max", "average_seconds")
    )
    currency = settings.PANEL_CURRENCY
    services = [
        [pk, name, rate_label(rate, kind, currency), low, high, average_text(average)]
        for pk, name, rate, kind, low, high, average in rows
    ]
    return JsonResponse({"services": services})
