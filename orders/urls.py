from django.urls import path

from . import views

# Placeholder routes: the names base.html links to. Replaced by the order pages.
urlpatterns = [
    path("order/new", views.todo, name="order_new"),
    path("order/mass", views.todo, name="mass_order"),
    path("orders", views.todo, name="orders"),
]
