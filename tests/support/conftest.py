"""Personas for the support tests (alice, bob and sam are tests/conftest.py's): tess (support
staff, every open department) and fin (finance group only), and a real SMTP server."""

from io import BytesIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import fund, make_user
from support.models import Department
from tests.accounts.helpers import place
from tests.smtp import start_smtp

SUPPORT_PERMS = ["view_ticket", "change_ticket", "view_cannedreply", "view_department"]


def _staff_with_support_perms(username: str, *groups: Group):
    user = make_user(username, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=SUPPORT_PERMS))
    user.groups.set(groups)
    return user


@pytest.fixture
def finance(db) -> Group:
    return Group.objects.get_or_create(name="Finance")[0]


@pytest.fixture
def tess(db):
    return _staff_with_support_perms("tess")


@pytest.fixture
def fin(finance):
    return _staff_with_support_perms("fin", finance)


@pytest.fixture
def payments(db) -> Department:
    return Department.objects.get(name="Payments")


@pytest.fixture
def orders_desk(db) -> Department:
    return Department.objects.get(name="Orders & account")


@pytest.fixture
def service(db):
    return make_service(make_upstream(make_provider(), rate="1.00"))


@pytest.fixture
def alice_orders(alice, service):
    fund(alice, "10")
    return [place(alice, service, quantity=100) for _ in range(2)]


@pytest.fixture
def bob_order(bob, service):
    fund(bob, "10")
    return place(bob, service, quantity=100)


@pytest.fixture
def smtp(settings):
    """The panel's mail goes to a real SMTP server on 127.0.0.1 for the test."""
    server, controller = start_smtp()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    controller.stop()


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Attachments go to a folder of the test's own."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def picture(name="screen.png", fmt="PNG", size=(40, 30)) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", size, "teal").save(buffer, fmt)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}.get(fmt, "")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)
