from django.contrib import admin
from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard), name="dashboard"),
    path("needs/", admin.site.admin_view(views.needs_a_hand), name="needs"),
]
