"""Settings, read from the environment through django-environ.

With no environment at all the panel runs embedded: SQLite under var/ and a filesystem
Celery broker, so one command shows the whole flow. DATABASE_URL and CELERY_BROKER_URL
switch to PostgreSQL and Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("PANEL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# The demo values below (keys, the console mail backend) only serve the embedded demo (`make
# run` sets ALLOW_DEMO_SECRETS) and the tests (pytest sets PYTEST_VERSION in its environment and
# every process it starts inherits it); with DEBUG off and neither, the panel refuses to start
# on any of them (the end of this file).
ALLOW_DEMO_SECRETS = env.bool("ALLOW_DEMO_SECRETS", default="PYTEST_VERSION" in os.environ)
DEMO_SECRET_KEY = "embedded-demo-only-not-a-secret"
SECRET_KEY = env("SECRET_KEY", default=DEMO_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Secrets at rest (panel/encryption.py): comma-separated Fernet keys, the first encrypts, all
# decrypt. The fallback key only serves the embedded demo and the tests, like SECRET_KEY's.
DEMO_FIELD_ENCRYPTION_KEY = "ZW1iZWRkZWQtZGVtby1vbmx5LW5vdC1hLXNlY3JldCE="
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[DEMO_FIELD_ENCRYPTION_KEY])
# Customer API keys are stored as an HMAC under these secrets (accounts/apikeys.py), not under
# SECRET_KEY: the first signs new digests, every one verifies, so each rotates on its own.
DEMO_API_KEY_HMAC_SECRET = "embedded-demo-only-api-key-hmac-secret"
API_KEY_HMAC_SECRETS = env.list("API_KEY_HMAC_SECRETS", default=[DEMO_API_KEY_HMAC_SECRET])

INSTALLED_APPS = [
    "accounts.admin_app.PanelAdminConfig",  # django.contrib.admin with the second factor (2FA)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "panel",
    "accounts",
    "catalog",
    "orders",
    "outbox",
    "payments",
    "pages",
    "support",
    "staff",
    "reports",
    "demo",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The customer's time zone (account settings) for every time shown.
    "accounts.middleware.TimeZoneMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "panel.urls"
WSGI_APPLICATION = "panel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "panel.context_processors.panel",
                "pages.context_processors.site",  # after panel's: PANEL_NAME from site settings
                "orders.admin_counts.admin_index",
                "staff.context.admin_index",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'panel.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web, the worker and beat read while one of them writes; IMMEDIATE
    # transactions take the write lock up front, so concurrent writers wait (busy timeout)
    # instead of failing with "database is locked" on a lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "panel.postgresql"  # a health check with no round trip
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault(
        "CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True)
    )
    # Statements run through panel.db.prepared_cursor are prepared on their 5th use on a
    # connection (Django's default, None, disables prepared statements altogether). Behind
    # PgBouncer in transaction mode they need PgBouncer 1.21+ with max_prepared_statements set;
    # DB_PREPARE_THRESHOLD=off turns preparing off (docs/design.md, "Custom infrastructure").
    _prepare = env("DB_PREPARE_THRESHOLD", default="5").strip().lower()
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", None if _prepare in ("off", "none", "") else int(_prepare)
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"  # collectstatic (production image); generated
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Without collectstatic (the embedded demo, tests) WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True

# django-axes first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Every staff login to admin needs a second factor (django-otp: TOTP, or a one-time backup
# code): enrolment at /admin/2fa/enrol/ on the first login; accounts/adminsite.py.
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = env("PANEL_NAME", default="Boostly")

# Login throttling (django-axes): 5 failures for one username from one IP lock that pair out
# for 15 minutes; a successful login clears its failures. Covers the admin login too.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# And attempts per hour (accounts/views.py, counted like the API's limits; 0: no limit): logins
# for one username from anywhere (a password spray), logins from one address (any username),
# sign-ups and password-reset requests from one address.
LOGIN_RATE_PER_USERNAME = env.int("LOGIN_RATE_PER_USERNAME", default=30)
LOGIN_RATE_PER_IP = env.int("LOGIN_RATE_PER_IP", default=100)
SIGNUP_RATE_PER_IP = env.int("SIGNUP_RATE_PER_IP", default=10)
PASSWORD_RESET_RATE_PER_IP = env.int("PASSWORD_RESET_RATE_PER_IP", default=10)
# The client address (panel/clientip.py): REMOTE_ADDR, or, when the connection comes from one
# of the TRUSTED_PROXIES (comma-separated addresses or CIDRs of our reverse proxies), the
# address they forwarded for; else every client would share the proxy's address.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "panel.clientip.client_ip"

# Email (password resets; notifications through the outbox): printed on the console unless a
# backend is configured.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="panel@localhost")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# Mail goes out from the worker (outbox/mail.py); a hung server must not hold it forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# The panel's public address, for links in mails sent by the worker (no request at hand).
PANEL_URL = env("PANEL_URL", default="http://127.0.0.1:8000")

# The currency every selling rate, balance and charge of the panel is in.
PANEL_CURRENCY = env("PANEL_CURRENCY", default="USD")
PANEL_NAME = env("PANEL_NAME", default="Boostly")

# Payment gateways (payments/). PAYMENT_GATEWAY_URLS points a gateway's API and checkout at
# another address, e.g. "razorpay=http://127.0.0.1:8766/razorpay": only the embedded demo and
# the tests set it, to the local fakes (fakegateways/); production leaves it empty.
PAYMENT_GATEWAY_URLS = env.dict("PAYMENT_GATEWAY_URLS", default={})
# A gateway call (create an order or a checkout session, look a payment up) gives up after this.
PAYMENT_GATEWAY_TIMEOUT = env.float("PAYMENT_GATEWAY_TIMEOUT", default=15.0)
# A webhook whose own timestamp is older than this is refused as a replay (seconds).
PAYMENT_WEBHOOK_TOLERANCE = env.int("PAYMENT_WEBHOOK_TOLERANCE", default=300)

# The panel's own /api/v2: requests per minute per key and per client IP (0: unlimited),
# counted in Redis when there is one (RATELIMIT_REDIS_URL, default: the Redis broker).
API_RATE_PER_KEY = env.int("API_RATE_PER_KEY", default=600)
API_RATE_PER_IP = env.int("API_RATE_PER_IP", default=1200)

# How often beat polls upstream statuses and sweeps stuck or lost orders (seconds).
POLL_SECONDS = env.float("POLL_SECONDS", default=60.0)
SWEEP_SECONDS = env.float("SWEEP_SECONDS", default=15.0)

# How long after placing a completed order of a refill service may be refilled.
REFILL_WINDOW_DAYS = env.int("REFILL_WINDOW_DAYS", default=30)

# Upstream calls: connect and read timeouts, and an overall deadline per request so that a
# server dripping bytes cannot hold a worker.
UPSTREAM_CONNECT_TIMEOUT = env.float("UPSTREAM_CONNECT_TIMEOUT", default=5.0)
UPSTREAM_READ_TIMEOUT = env.float("UPSTREAM_READ_TIMEOUT", default=30.0)
UPSTREAM_DEADLINE = env.float("UPSTREAM_DEADLINE", default=60.0)

# Files customers and admins upload, under var/ (outside the web root): logos and blog covers
# (public, served by pages.views.upload) and ticket attachments (served only to their owner
# and staff by support.views).
PUBLIC_MEDIA_ROOT = Path(env("PUBLIC_MEDIA_ROOT", default=str(VAR_DIR / "media")))
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))

# Support tickets: per customer, at most this many new tickets per hour and messages per hour;
# at most this many image attachments per message, each at most this many bytes.
SUPPORT_TICKETS_PER_HOUR = env.int("SUPPORT_TICKETS_PER_HOUR", default=5)
SUPPORT_MESSAGES_PER_HOUR = env.int("SUPPORT_MESSAGES_PER_HOUR", default=30)
SUPPORT_ATTACHMENTS_PER_MESSAGE = env.int("SUPPORT_ATTACHMENTS_PER_MESSAGE", default=3)
SUPPORT_ATTACHMENT_MAX_BYTES = env.int("SUPPORT_ATTACHMENT_MAX_BYTES", default=2 * 1024 * 1024)

# The staff dashboard's "needs a hand" list: an order in progress whose remains have not moved
# for this many hours (unless its service says otherwise), and a refill or cancel request not
# taken upstream within this many hours.
STAFF_STALLED_HOURS = env.int("STAFF_STALLED_HOURS", default=24)
STAFF_REQUEST_HOURS = env.int("STAFF_REQUEST_HOURS", default=6)

# Celery: the embedded default is a filesystem broker that needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "panel.broker:Transport"  # kombu's, reusing its Redis client
RATELIMIT_REDIS_URL = env(
    "RATELIMIT_REDIS_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "",
)
# The cache of the public pages (pages/cache.py), shared by every web process: Redis
# (CACHE_URL, default: the Redis broker) or, in the embedded demo, files under var/cache.
# Its clear() would empty the whole Redis database: the pages invalidate by version instead.
CACHE_URL = env("CACHE_URL", default=RATELIMIT_REDIS_URL)
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "panel-cache",
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# Fragments of the public pages that show rates: at most this old (seconds), since a catalog
# sync reprices in bulk; every admin edit refreshes them at once.
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=60)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker outage must not hang the request placing an order: give up publishing quickly (the
# order is safe in the database; the sweeper enqueues it again).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    **globals().get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

# HTTPS. Behind a TLS-terminating proxy (BEHIND_TLS_PROXY) the proxy says the scheme in
# X-Forwarded-Proto (it must overwrite what the client sent), so request.is_secure() holds and
# reset links and the API page say https://; plain http is then redirected, except /healthz
# (the container's own health check, from inside).
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=BEHIND_TLS_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # Cookies only over HTTPS, except in the embedded demo and the tests (plain http on
    # 127.0.0.1, ALLOW_DEMO_SECRETS); SECURE_COOKIES says it outright either way.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool(
        "SECURE_COOKIES", default=not ALLOW_DEMO_SECRETS
    )
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)  # a year
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Asking browsers to preload the domain is a choice of its owner, not a default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content Security Policy (django-csp): every script and style comes from our own static files;
# no inline code, nothing from another site. Templates pass data with json_script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # No form-action: paying sends the customer on to the gateway's own checkout (a form
        # posted or redirected to another origin), which form-action 'self' would block.
    }
}

# Refuse to start on a demo secret outside the demo: a panel run with DEBUG off and no
# ALLOW_DEMO_SECRETS must have been given its own keys and a real mail backend.
if not DEBUG and not ALLOW_DEMO_SECRETS:
    _demo_values = [
        name
        for name, is_demo in (
            ("SECRET_KEY", SECRET_KEY == DEMO_SECRET_KEY),
            ("FIELD_ENCRYPTION_KEYS", DEMO_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS),
            ("API_KEY_HMAC_SECRETS", DEMO_API_KEY_HMAC_SECRET in API_KEY_HMAC_SECRETS),
            ("EMAIL_BACKEND", EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"),
        )
        if is_demo
    ]
    if _demo_values:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"DEBUG is off but {', '.join(_demo_values)} still has the demo value: set it "
            "in the environment (README, Production), or set ALLOW_DEMO_SECRETS=1 for a demo."
        )
