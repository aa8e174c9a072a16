"""Named personas for the accounts tests: customers alice and bob, staff sam and tess."""

import pytest

from tests.catalog.factories import make_provider, make_service, make_upstream

from .helpers import make_user


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
    return client


@pytest.fixture
def service(db):
    """A sellable service at 1.00 per 1000 (cost), as the catalog prices it."""
    return make_service(make_upstream(make_provider(), rate="1.00"))
