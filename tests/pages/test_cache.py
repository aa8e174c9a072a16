"""The public cache: edits show at once, each scope evicts only what shows it."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from catalog.models import Category, Service
from pages import cache
from pages.models import Page

pytestmark = pytest.mark.django_db


def build_counter():
    calls = []

    def build():
        calls.append(1)
        return f"built {len(calls)}"

    return build, calls


def test_a_fragment_is_built_once_until_its_scope_changes():
    build, calls = build_counter()
    assert cache.cached("x", build, scopes=("site",)) == "built 1"
    assert cache.cached("x", build, scopes=("site",)) == "built 1"
    cache.invalidate("catalog")  # another scope: kept
    assert cache.cached("x", build, scopes=("site",)) == "built 1"
    cache.invalidate("site")
    assert cache.cached("x", build, scopes=("site",)) == "built 2"
    assert len(calls) == 2


def test_model_edits_bump_their_scope():
    build, calls = build_counter()
    cache.cached("page", build, scopes=("site",))
    cache.cached("rates", build, scopes=("catalog",))
    Category.objects.create(name="New")  # catalog
    cache.cached("page", build, scopes=("site",))
    assert len(calls) == 2  # only the catalog fragment goes: not rebuilt until asked
    cache.cached("rates", build, scopes=("catalog",))
    assert len(calls) == 3
    Page.objects.filter(slug="terms").get().save()  # site
    cache.cached("page", build, scopes=("site",))
    assert len(calls) == 4


def test_an_admin_change_logged_on_the_catalog_bumps_the_catalog(django_user_model):
    build, calls = build_counter()
    cache.cached("rates", build, scopes=("catalog",))
    staff = django_user_model.objects.create_user("sam", is_staff=True)
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Service),
        object_id="1",
        object_repr="a service",
        action_flag=CHANGE,
        change_message="Markup set by an action",
    )
    cache.cached("rates", build, scopes=("catalog",))
    assert len(calls) == 2


def test_a_cache_that_is_down_costs_speed_not_pages(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    build, calls = build_counter()
    assert cache.cached("x", build) == "built 1"
    cache.invalidate()  # no error either
