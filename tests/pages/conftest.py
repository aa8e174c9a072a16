"""Content for the public site's tests (the people are tests/conftest.py's)."""

import pytest

from pages.models import SiteSettings


@pytest.fixture
def site(db) -> SiteSettings:
    """The site settings row the data migration made."""
    return SiteSettings.objects.get(pk=1)
