from django.contrib.auth import views as auth_views
from django.urls import path

from pages.site import lazy_panel_name

from . import views
from .forms import PasswordChangeForm

# Template names differ from django.contrib.admin's registration/*.html on purpose: templates/
# comes first, so reusing those names would restyle the admin's own password pages.
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("signup", views.signup, name="signup"),
    path(
        "login",
        views.throttled("login")(
            auth_views.LoginView.as_view(
                template_name="registration/login.html", redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("logout", views.LogoutView.as_view(), name="logout"),  # POST only
    path("transactions", views.transactions, name="transactions"),
    path("account", views.account, name="account"),
    path("account/api", views.api, name="api"),
    path(
        "account/password",
        auth_views.PasswordChangeView.as_view(
            template_name="registration/change_password.html", form_class=PasswordChangeForm
        ),
        name="password_change",
    ),
    path(
        "account/password/done",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/change_password_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "password-reset",
        views.throttled("password_reset")(
            auth_views.PasswordResetView.as_view(
                template_name="registration/reset_password.html",
                email_template_name="registration/reset_password_email.txt",
                subject_template_name="registration/reset_password_subject.txt",
                extra_email_context={"PANEL_NAME": lazy_panel_name()},
            )
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/reset_password_sent.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>",
        views.PasswordResetConfirmView.as_view(
            template_name="registration/reset_password_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/reset_password_complete.html"
        ),
        name="password_reset_complete",
    ),
]
