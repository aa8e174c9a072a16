from django.urls import path

from . import views

urlpatterns = [
    path("order/new", views.order_new, name="order_new"),
    path("order/mass", views.mass_order, name="mass_order"),
    path("orders", views.orders, name="orders"),
]
