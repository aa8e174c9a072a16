from django.urls import path

from . import views

urlpatterns = [
    path("funds", views.funds, name="funds"),
    path("funds/<int:pk>", views.payment, name="payment"),
    path("payments/return/<slug:code>", views.payment_return, name="payment_return"),
    path("payments/webhooks/<slug:code>", views.webhook, name="payment_webhook"),
]
