"""The panel's URLs with the benchmark anchors first, so that they pay no more resolving than
the API (which comes first in panel/urls.py)."""

from django.urls import path

from panel.urls import urlpatterns as panel_urlpatterns

from . import views

urlpatterns = [
    path("bench/minimal", views.minimal),
    path("bench/bare-add", views.bare_add),
    *panel_urlpatterns,
]
