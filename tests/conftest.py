"""Shared fixtures: the sandbox provider over real HTTP, named personas."""

import pytest

from sandbox.testing import SandboxProcess


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


def unbalanced_users() -> list[tuple[int, object, object]]:
    """Users whose balance is not the sum of their ledger: (id, balance, ledger sum)."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db.models import DecimalField, F, Sum, Value
    from django.db.models.functions import Coalesce

    zero = Value(Decimal(0), output_field=DecimalField(max_digits=20, decimal_places=7))
    return list(
        get_user_model()
        .objects.annotate(total=Coalesce(Sum("ledger__amount"), zero))
        .exclude(balance=F("total"))
        .values_list("id", "balance", "total")
    )


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
