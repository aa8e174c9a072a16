from django.contrib import admin
from django.urls import path

from catalog import views as catalog_views

urlpatterns = [
    path("", catalog_views.services, name="home"),
    path("services", catalog_views.services, name="services"),
    path("admin/", admin.site.urls),
]
