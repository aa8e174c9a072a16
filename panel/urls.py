from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from catalog import views as catalog_views
from orders.api import api_v2
from pages.urls import page_urlpatterns
from panel.health import healthz

urlpatterns = [
    # First: the API is the most requested path, and Django tries the patterns in turn.
    path("api/v2", api_v2, name="api_v2"),
    path("api/v2/", api_v2),
    path("healthz", healthz, name="healthz"),
    path("services", catalog_views.services, name="services"),
    path(
        "services/category/<int:category_id>",
        catalog_views.services_category,
        name="services_category",
    ),
    path("services/search", catalog_views.services_search, name="services_search"),
    path("updates", catalog_views.updates, name="updates"),
    path("", include("accounts.urls")),
    path("", include("payments.urls")),
    path("", include("orders.urls")),
    path("", include("support.urls")),
    path("", include("pages.urls")),
    path("admin/staff/", include("staff.urls")),  # before the admin's catch-all
    path("admin/reports/", include("reports.urls")),  # before the admin's own catch-all
    path("admin/", admin.site.urls),
    path(
        "favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg", permanent=True)
    ),
    *page_urlpatterns,  # last: a content page at /<slug> takes only what nothing else took
]
