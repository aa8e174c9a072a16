from django.urls import path

from . import views

app_name = "support"
urlpatterns = [
    path("support", views.tickets, name="tickets"),
    path("support/new", views.new, name="new"),
    path("support/<int:pk>", views.ticket, name="ticket"),
    path("support/<int:pk>/close", views.close, name="close"),
    path("support/attachments/<int:pk>", views.attachment, name="attachment"),
]
