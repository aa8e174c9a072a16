import pytest

from tests.smtp import start_smtp


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
