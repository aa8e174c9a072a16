"""The orders tests' customers with money and their rows (tests/conftest.py has the people
who hold nothing, and the sandbox):

| fixture | what |
|---|---|
| `alice_with_100` | alice (tests/conftest.py), holding 100 USD |
| `alice_with_10` | alice, holding 10 USD |
| `bob_with_100` | bob, holding 100 USD |
| `carol_with_1000` | carol, a customer holding 1,000 USD |
| `carol_client` | the test client, signed in as carol |
| `dave_with_100k` | dave, a customer holding 100,000 USD (for many orders) |
| `alice_key` | the API key of alice, holding 100 USD |
| `followers` | a Default service at 1.2345 per 1000, 10 to 10,000, drip-feed allowed |

Builders and readers shared by the modules are plain functions in helpers.py.
"""

import pytest

from accounts.apikeys import issue_key
from harness.customers import fund, make_customer

from .helpers import service_of


@pytest.fixture
def alice_with_100(alice):
    fund(alice, "100")
    return alice


@pytest.fixture
def alice_with_10(alice):
    fund(alice, "10")
    return alice


@pytest.fixture
def bob_with_100(bob):
    fund(bob, "100")
    return bob


@pytest.fixture
def carol_with_1000(db):
    return make_customer("carol", funds="1000")


@pytest.fixture
def carol_client(client, carol_with_1000):
    client.force_login(carol_with_1000)
    return client


@pytest.fixture
def dave_with_100k(db):
    return make_customer("dave", funds="100000")


@pytest.fixture
def alice_key(alice_with_100) -> str:
    return issue_key(alice_with_100)


@pytest.fixture
def followers(db):
    return service_of("Default", rate="1.2345", min=10, max=10_000, dripfeed=True)
