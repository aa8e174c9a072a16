"""Shared fixtures of the whole suite: the sandbox provider over real HTTP, and the people.

The people (each a fresh row per test; tests/orders/conftest.py adds customers with money):

| fixture | who |
|---|---|
| `alice` | a customer who just signed up: holds nothing |
| `bob` | another such customer |
| `sam` | staff: a superuser |
| `alice_client` | the test client, signed in as alice |
| `sam_client` | the test client, signed in as sam (`sam_client.user` is sam) |

And the rows most tests sell: `provider`, a provider row ("Fastfollow") that no server
answers, and `service`, its "Instagram Followers HQ" at 1.00 per 1000 (its cost, no markup).

A test that needs someone else builds them with harness.customers.make_customer(name, funds).
"""

import pytest

from catalog.models import Provider
from catalog.sync import sync_provider
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import make_user, unbalanced_users
from sandbox.process import SandboxProcess

# A test that takes one of these starts processes, serves HTTP or truncates every table after it:
# it is slow (seconds), and `make quick` leaves it out. Others carry @pytest.mark.slow by hand.
SLOW_FIXTURES = {"sandbox_process", "upstream", "transactional_db", "live_server", "browser"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        database = item.get_closest_marker("django_db")
        flushes = database is not None and database.kwargs.get("transaction")
        if flushes or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def pytest_configure(config):
    from django.conf import settings

    # Passwords hash fast in tests: PBKDF2's million rounds cost about half a second per user
    # made with one, and logging in works alike with any hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Staff sign in with force_login here, which no second factor verifies: the admin asks for
    # none, but in the tests of the second factor itself (tests/accounts/test_admin_2fa.py).
    settings.ADMIN_REQUIRE_2FA = False


@pytest.fixture(scope="session")
def sandbox_process():
    """One sandbox process for the whole run (2,000 services keeps start-up quick)."""
    with SandboxProcess(services=2000, speed=1.0) as sb:
        yield sb


@pytest.fixture
def sandbox(sandbox_process):
    """The shared sandbox, reset (orders, faults, clock, catalog breakage) for each test."""
    sandbox_process.reset()
    yield sandbox_process
    sandbox_process.reset()


@pytest.fixture
def sandbox_provider(sandbox) -> Provider:
    """The sandbox as the panel's provider, its catalog synced (sold at cost: no markup)."""
    provider = Provider.objects.create(name="Sandbox", api_url=sandbox.api_url, api_key=sandbox.key)
    sync_provider(provider)
    return provider


@pytest.fixture
def provider(db):
    return make_provider(name="Fastfollow")


@pytest.fixture
def service(provider):
    return make_service(make_upstream(provider, rate="1.00", name="Instagram Followers HQ"))


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def sam(db):
    return make_user("sam", is_staff=True, is_superuser=True)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def sam_client(client, sam):
    client.force_login(sam)
    client.user = sam
    return client


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with no request counted (login, sign-up, reset and API limits)."""
    from panel import ratelimit

    ratelimit.reset()


@pytest.fixture(autouse=True)
def ledger_invariant(request):
    """After every test that touched the database: balance == sum(ledger) for every user."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    from orders.placing import forget_recent_services

    forget_recent_services()
    if uses_db:
        # Set the database up before this fixture, so it is torn down after the check.
        for name in ("transactional_db", "db"):
            if name in request.fixturenames:
                request.getfixturevalue(name)
    yield
    if uses_db:
        assert unbalanced_users() == [], "balance != sum(ledger) after the test"


@pytest.fixture(autouse=True)
def fresh_public_cache(request):
    """Every test starts with no stale public page (pages/cache.py keeps them in Redis, shared
    across tests whose databases are rebuilt) and, when it uses the database, with the site
    settings loaded: a page's first render costs no more queries than its next."""
    from pages.cache import invalidate

    invalidate()
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if uses_db:
        for name in ("transactional_db", "db"):
            if name in request.fixturenames:
                request.getfixturevalue(name)
        from pages.site import current

        current()


@pytest.fixture(autouse=True)
def no_call_records():
    """Upstream calls are not recorded (catalog/upstream/calllog.py) unless a test asks for it
    with `call_records`: a buffer flushed at the end of some later test's request would add
    queries to that test's count."""
    from catalog.upstream import calllog

    calllog.flush_discarding()
    writer = calllog.set_writer(None)
    yield
    calllog.flush_discarding()
    calllog.set_writer(writer)


@pytest.fixture
def call_records(no_call_records):
    """Upstream calls recorded as in production (the staff app's bulk writer)."""
    from catalog.upstream import calllog
    from staff.health import write_calls

    calllog.set_writer(write_calls)
    yield
    calllog.flush_discarding()
