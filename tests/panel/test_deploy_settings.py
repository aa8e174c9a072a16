"""Production settings (panel/settings.py), read in a process of their own with a production
environment: DEBUG off means secure cookies and HSTS, BEHIND_TLS_PROXY trusts the proxy's
X-Forwarded-Proto, `check --deploy` is clean, the benchmark views are nowhere, and the panel
refuses to start on a demo secret or the console mail backend unless ALLOW_DEMO_SECRETS."""

import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core import mail

pytestmark = pytest.mark.slow  # each test starts Python processes

DEMO_ONLY = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "API_KEY_HMAC_SECRETS", "EMAIL_BACKEND")


def production_env(**changes: str | None) -> dict[str, str]:
    test_only = ("PYTEST_VERSION", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the latter: Playwright
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    env.update(
        SECRET_KEY="x7Qp-" + "k2Vb9LmZr4TnWc8YhFd3Js6Ga1Eu5Xo0" * 2,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        API_KEY_HMAC_SECRETS="h5Nc2Rw9Tk4Mb7Pz1Xq8Lv3Gd6Sf0Ja",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        ALLOWED_HOSTS="panel.example.com",
        BEHIND_TLS_PROXY="1",
        DJANGO_SETTINGS_MODULE="panel.settings",
    )
    env.pop("ALLOW_DEMO_SECRETS", None)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_settings(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {list(names)!r}}}))"
    )
    done = run(["-c", code], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_production_settings():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_debug_off_means_secure_cookies_hsts_and_the_proxy_scheme():
    found = read_settings(
        production_env(),
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "CONTENT_SECURITY_POLICY",
    )
    assert found["DEBUG"] is False
    assert found["SESSION_COOKIE_SECURE"] is True
    assert found["CSRF_COOKIE_SECURE"] is True
    assert found["SECURE_HSTS_SECONDS"] >= 31536000
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["script-src"] == ["'self'"]


def test_served_directly_the_forwarded_scheme_is_not_believed():
    found = read_settings(production_env(BEHIND_TLS_PROXY=None), "SECURE_PROXY_SSL_HEADER")
    assert found["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.parametrize("name", DEMO_ONLY)
def test_refuses_to_start_on_a_demo_value(name):
    done = run(["manage.py", "check"], production_env(**{name: None}))
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert f"{name} still has the demo value" in done.stderr or name in done.stderr


def test_the_demo_values_are_allowed_when_said_so():
    env = production_env(**dict.fromkeys(DEMO_ONLY), ALLOW_DEMO_SECRETS="1")
    done = run(["manage.py", "check"], env)
    assert done.returncode == 0, done.stderr


def test_production_settings_serve_no_benchmark_view():
    code = (
        "import django; django.setup(); from django.urls import get_resolver\n"
        "def walk(patterns):\n"
        "    for p in patterns:\n"
        "        yield from walk(p.url_patterns) if hasattr(p, 'url_patterns') else [p.lookup_str]\n"
        "print(sorted(set(walk(get_resolver().url_patterns))))"
    )
    done = run(["-c", code], production_env())
    assert done.returncode == 0, done.stderr
    assert "bench" not in done.stdout
    assert "panel.health" in done.stdout  # the listing works: it sees the panel's own views
    assert not any(name.startswith("BENCH") for name in dir(settings))


@pytest.mark.django_db
def test_behind_the_tls_proxy_reset_links_and_the_api_page_say_https(client, alice, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    https = {"HTTP_X_FORWARDED_PROTO": "https", "SERVER_PORT": "443"}
    client.post("/password-reset", {"email": "alice@example.com"}, **https)
    assert "https://testserver/password-reset/" in mail.outbox[0].body
    client.force_login(alice)
    assert "https://testserver/api/v2" in client.get("/account/api", **https).content.decode()
