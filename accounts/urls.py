from django.urls import path

from . import views

# Placeholder routes: the names base.html links to. Replaced by the accounts pages.
urlpatterns = [
    path("", views.todo, name="dashboard"),
    path("signup", views.todo, name="signup"),
    path("login", views.todo, name="login"),
    path("logout", views.todo, name="logout"),
    path("funds", views.todo, name="funds"),
    path("transactions", views.todo, name="transactions"),
    path("account", views.todo, name="account"),
]
