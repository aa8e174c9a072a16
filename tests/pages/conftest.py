"""Personas and content for the public site's tests."""

import pytest

from pages.models import SiteSettings
from tests.accounts.helpers import make_user


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def sam(db):
    return make_user("sam", is_staff=True, is_superuser=True)


@pytest.fixture
def sam_client(client, sam):
    client.force_login(sam)
    return client


@pytest.fixture
def site(db) -> SiteSettings:
    """The site settings row the data migration made."""
    return SiteSettings.objects.get(pk=1)
