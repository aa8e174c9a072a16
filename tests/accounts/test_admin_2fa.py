"""The admin's second factor (ADMIN_REQUIRE_2FA): TOTP enrolment with a locally made QR code,
backup codes that work once, a superuser's reset. The suite runs with it off
(tests/conftest.py); these tests turn it on."""

import re
import time

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from demo.management.commands.rundemo import Command as RunDemo
from harness.customers import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.ADMIN_REQUIRE_2FA = True
    # django-otp makes each device wait 1 s, 2 s, 4 s… after a wrong code; not within a test.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def tess(db):
    return make_user("tess", is_staff=True, is_superuser=True)


def password_login(username: str) -> Client:
    client = Client()
    response = client.post(
        "/admin/login/", {"username": username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302  # the password was right
    return client


def current_token(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def enrol(client: Client, user) -> list[str]:
    """Set up the authenticator through the pages; the backup codes shown."""
    page = client.get("/admin/2fa/enrol/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/admin/2fa/enrol/", {"token": current_token(device)})
    assert response.status_code == 200
    return re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())


def test_a_password_alone_does_not_open_the_admin(required, tess):
    client = password_login("tess")

    response = client.get("/admin/")

    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 302  # the login sends on …
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith("/admin/2fa/")
    assert client.get("/admin/accounts/user/").status_code == 302
    # … to enrolment, the first time: no device yet.
    assert client.get("/admin/2fa/")["Location"].startswith("/admin/2fa/enrol/")
    enrol_page = client.get("/admin/2fa/enrol/").content.decode()
    assert 'action="/logout"' in enrol_page  # a way out that needs no second factor


def test_enrolment_shows_a_local_qr_code_and_a_valid_code_opens_the_admin(required, tess):
    client = password_login("tess")

    page = client.get("/admin/2fa/enrol/").content.decode()
    assert "<svg" in page and "otpauth" not in page.split("<svg", 1)[0]
    assert "http://" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]  # nothing fetched
    device = TOTPDevice.objects.get(user=tess, confirmed=False)
    assert client.post("/admin/2fa/enrol/", {"token": "000000"}).status_code == 200
    assert client.get("/admin/").status_code == 302  # a wrong code confirms nothing

    codes = enrol(client, tess)

    device.refresh_from_db()
    assert device.confirmed
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_the_next_login_asks_for_a_code_and_a_backup_code_works_once(required, tess):
    codes = enrol(password_login("tess"), tess)

    client = password_login("tess")
    assert client.get("/admin/").status_code == 302
    refused = client.post("/admin/2fa/", {"token": "12345678"})
    assert refused.status_code == 200 and "not valid" in refused.content.decode()
    assert client.post("/admin/2fa/", {"token": codes[0]})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    again = password_login("tess")
    assert again.post("/admin/2fa/", {"token": codes[0]}).status_code == 200  # used up
    assert again.get("/admin/").status_code == 302
    assert again.post("/admin/2fa/", {"token": codes[1]}).status_code == 302
    assert again.get("/admin/").status_code == 200


def test_a_staff_member_cannot_enrol_a_second_device_over_the_first(required, tess):
    enrol(password_login("tess"), tess)

    client = password_login("tess")

    assert client.get("/admin/2fa/enrol/")["Location"].startswith("/admin/2fa/")
    assert TOTPDevice.objects.filter(user=tess).count() == 1


def test_a_superuser_resets_a_lost_device(sam_client, tess):
    TOTPDevice.objects.create(user=tess, name="phone", confirmed=True)
    StaticDevice.objects.create(user=tess, name="backup", confirmed=True)
    data = {"action": "reset_second_factor", "_selected_action": [tess.pk]}

    response = sam_client.post("/admin/accounts/user/", data, follow=True)

    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=tess).exists()
    assert not StaticDevice.objects.filter(user=tess).exists()
    entry = AuditEntry.objects.get(action="reset_2fa")
    assert (entry.actor, entry.target_id) == (sam_client.user, str(tess.pk))


def test_staff_who_are_not_superusers_cannot_reset_devices(tess, client):
    clerk = make_user("clerk", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["view_user", "change_user"]))
    TOTPDevice.objects.create(user=tess, name="phone", confirmed=True)
    client.force_login(clerk)

    client.post(
        "/admin/accounts/user/", {"action": "reset_second_factor", "_selected_action": [tess.pk]}
    )

    assert TOTPDevice.objects.filter(user=tess).exists()


def test_the_demo_banner_says_the_second_factor_is_off(monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_REQUIRE_2FA", "off")
    command = RunDemo()
    sandbox = type("Sandbox", (), {"api_url": "http://127.0.0.1:1/api/v2"})()
    command._banner("127.0.0.1", 8000, sandbox, "k")
    assert "second factor (2FA) OFF in this demo" in capsys.readouterr().out


def test_wrong_codes_slow_the_next_tries_down(settings, tess):
    settings.ADMIN_REQUIRE_2FA = True  # django-otp's own throttling, as in production
    codes = enrol(password_login("tess"), tess)
    client = password_login("tess")

    client.post("/admin/2fa/", {"token": "12345678"})

    assert client.post("/admin/2fa/", {"token": codes[0]}).status_code == 200  # right, too soon
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("env", "required"),
    [({"DEBUG": "1"}, False), ({"DEBUG": "1", "ADMIN_REQUIRE_2FA": "on"}, True)],
)
def test_the_setting_defaults_to_not_debug_and_can_be_forced(monkeypatch, env, required):
    import runpy
    from pathlib import Path

    import panel

    monkeypatch.delenv("ADMIN_REQUIRE_2FA", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    values = runpy.run_path(str(Path(panel.__file__).with_name("settings.py")))
    assert values["ADMIN_REQUIRE_2FA"] is required
