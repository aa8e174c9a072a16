from django.urls import path

from . import quick, views

urlpatterns = [
    path("order/new", views.order_new, name="order_new"),
    path("order/mass", views.mass_order, name="mass_order"),
    path("order/category/<int:category_id>", quick.category_services, name="category_services"),
    path("orders", views.orders, name="orders"),
    path("orders.csv", views.orders_csv, name="orders_csv"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/refill", views.order_refill, name="order_refill"),
    path("orders/<int:order_id>/cancel", views.order_cancel, name="order_cancel"),
    path("refills", views.refills, name="refills"),
]
