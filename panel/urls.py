from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from catalog import views as catalog_views

urlpatterns = [
    path("", catalog_views.services, name="home"),
    path("services", catalog_views.services, name="services"),
    path("admin/", admin.site.urls),
    path(
        "favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg", permanent=True)
    ),
]
