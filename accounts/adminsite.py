"""The admin site with a second factor for every staff login (django-otp).

When `ADMIN_REQUIRE_2FA` is on (the default unless DEBUG), the admin opens only to staff whose
session was verified by a one-time password: a TOTP code from their authenticator app, or one
of their one-time backup codes. After the password, the admin's login sends them to
/admin/2fa/ (enter a code) or, the first time, to /admin/2fa/enrol/ (scan the QR code, made
here by segno, confirm one code, note the backup codes). A superuser resets a lost device
with the users' action "Reset second factor" (accounts/admin.py); the next login enrols anew.
"""

import base64
from functools import wraps
from urllib.parse import quote

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODES = 10


def second_factor_required() -> bool:
    return settings.ADMIN_REQUIRE_2FA


def staff_verified(user) -> bool:
    """Whether this staff session passed the second factor, where one is required: for the
    staff pages outside the admin (a ticket's pictures)."""
    return not second_factor_required() or getattr(user, "is_verified", lambda: False)()


def reset_second_factor(user) -> int:
    """Delete every device of the user (authenticator and backup codes); the number deleted."""
    deleted = 0
    for device in django_otp.devices_for_user(user, confirmed=None):
        device.delete()
        deleted += 1
    return deleted


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code", max_length=16, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "inputmode": "numeric"}),
        help_text="The 6 digits your authenticator app shows, or one of your backup codes.",
    )  # fmt: skip


class PanelAdminSite(admin.AdminSite):
    def has_permission(self, request) -> bool:
        if not super().has_permission(request):
            return False
        return not second_factor_required() or request.user.is_verified()

    def login(self, request, extra_context=None):
        if self._password_only_staff(request):
            return redirect(self._with_next(reverse("admin:otp_verify", current_app=self.name),
                                            request))  # fmt: skip
        return super().login(request, extra_context)

    def get_urls(self):
        return [
            path("2fa/", self._staff_view(self.otp_verify_view), name="otp_verify"),
            path("2fa/enrol/", self._staff_view(self.otp_enrol_view), name="otp_enrol"),
            *super().get_urls(),
        ]

    # --- the second factor's pages: for staff signed in by password, verified or not ------------

    def _staff_view(self, view):
        @wraps(view)
        def inner(request, *args, **kwargs):
            user = request.user
            if not (user.is_authenticated and user.is_active and user.is_staff):
                return redirect(self._with_next(reverse("admin:login", current_app=self.name),
                                                request))  # fmt: skip
            return view(request, *args, **kwargs)

        return never_cache(csrf_protect(inner))

    def otp_verify_view(self, request):
        user = request.user
        if not django_otp.user_has_device(user):
            return redirect(self._with_next(reverse("admin:otp_enrol", current_app=self.name),
                                            request))  # fmt: skip
        form = TokenForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            device = django_otp.match_token(user, form.cleaned_data["token"])
            if device is not None:
                django_otp.login(request, device)
                return redirect(self._next(request))
            form.add_error("token", "That code is not valid (or a backup code already used).")
        return self._page(request, "admin/otp/verify.html", "Second factor", form=form)

    def otp_enrol_view(self, request):
        user = request.user
        if django_otp.user_has_device(user):
            # One authenticator each: a lost one is reset by a superuser, not replaced here.
            return redirect(self._with_next(reverse("admin:otp_verify", current_app=self.name),
                                            request))  # fmt: skip
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
        form = TokenForm(request.POST if request.method == "POST" else None)
        form.fields["token"].help_text = "The 6 digits your authenticator app now shows."
        if form.is_valid():
            if device.verify_token(form.cleaned_data["token"]):
                with transaction.atomic():
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                    codes = make_backup_codes(user)
                django_otp.login(request, device)
                return self._page(request, "admin/otp/backup_codes.html", "Backup codes",
                                  codes=codes, next=self._next(request))  # fmt: skip
            form.add_error("token", "That code is not valid: check the phone's clock, try again.")
        qr = segno.make(device.config_url, error="m")
        return self._page(
            request, "admin/otp/enrol.html", "Set up the second factor", form=form,
            qr_svg=qr.svg_inline(scale=5, border=3, light="#fff"),
            secret=base64.b32encode(device.bin_key).decode(),
        )  # fmt: skip

    # --- helpers ----------------------------------------------------------------------------

    def _password_only_staff(self, request) -> bool:
        user = request.user
        return (
            second_factor_required()
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and not user.is_verified()
        )

    def _page(self, request, template: str, title: str, **context):
        return TemplateResponse(
            request, template, {**self.each_context(request), "title": title, **context}
        )

    def _next(self, request) -> str:
        target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return reverse("admin:index", current_app=self.name)

    def _with_next(self, url: str, request) -> str:
        target = request.GET.get(REDIRECT_FIELD_NAME)
        return f"{url}?{REDIRECT_FIELD_NAME}={quote(target)}" if target else url


def make_backup_codes(user) -> list[str]:
    """A fresh set of one-time backup codes (each works once), replacing any earlier set."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
