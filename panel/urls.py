from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from catalog import views as catalog_views
from orders.api import api_v2

urlpatterns = [
    # First: the API is the most requested path, and Django tries the patterns in turn.
    path("api/v2", api_v2, name="api_v2"),
    path("api/v2/", api_v2),
    path("services", catalog_views.services, name="services"),
    path("", include("accounts.urls")),
    path("", include("payments.urls")),
    path("", include("orders.urls")),
    path("admin/", admin.site.urls),
    path(
        "favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg", permanent=True)
    ),
]
