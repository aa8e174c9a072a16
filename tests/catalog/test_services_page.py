from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Category, Service
from harness.catalog import make_provider, make_service, make_upstream

pytestmark = pytest.mark.django_db


def page_queries(client, url="/services") -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_it_lists_services_grouped_by_category_with_rate_range_and_marks(client):
    provider = make_provider()
    likes = Category.objects.create(name="TikTok Likes", position=2)
    followers = Category.objects.create(name="Instagram Followers", position=1)
    make_service(
        make_upstream(provider, rate="0.5", name="Real followers", min=50, max=20000, refill=True),
        category=followers,
        description="Starts in 1 hour",
    )
    make_service(
        make_upstream(provider, rate="1.2345", name="Fast likes", cancel=True, dripfeed=True),
        category=likes,
    )

    html = client.get("/services").content.decode()

    assert html.index("Instagram Followers") < html.index("TikTok Likes")
    assert "Real followers" in html and "Fast likes" in html
    assert "0.50 USD" in html and "1.2345 USD" in html
    assert "20,000" in html
    assert "Starts in 1 hour" in html
    assert 'class="mark refill"' in html
    assert 'class="mark cancel"' in html and 'class="mark drip"' in html


@pytest.mark.slow  # many rows
def test_query_count_is_constant_whatever_the_size(client):
    provider = make_provider()
    make_service(make_upstream(provider))
    few, _ = page_queries(client)
    for i in range(40):
        category = Category.objects.create(name=f"Category {i}")
        make_service(make_upstream(provider, name=f"Service {i}"), category=category)
    many, html = page_queries(client)
    assert few == many
    assert html.count('class="service"') == 41


def test_the_page_goes_gzipped_to_browsers_that_take_it(client):
    import gzip

    provider = make_provider()
    for i in range(30):
        make_service(make_upstream(provider, name=f"Service {i}"))
    plain = client.get("/services")
    packed = client.get("/services", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 5


def test_disabled_unavailable_and_hidden_category_services_are_not_listed(client):
    provider = make_provider()
    make_service(make_upstream(provider, name="On sale"))
    make_service(make_upstream(provider, name="Switched off"), enabled=False)
    make_service(make_upstream(provider, name="Gone upstream", active=False))
    hidden = Category.objects.create(name="Hidden", enabled=False)
    make_service(make_upstream(provider, name="In hidden category"), category=hidden)

    html = client.get("/services").content.decode()

    assert "On sale" in html
    for name in ("Switched off", "Gone upstream", "In hidden category"):
        assert name not in html


def test_search_filters_by_name_category_and_id(client):
    provider = make_provider()
    views = make_service(make_upstream(provider, name="YouTube Views HQ"))
    make_service(make_upstream(provider, name="Telegram Members"))

    html = client.get("/services", {"q": "views"}).content.decode()
    assert "YouTube Views HQ" in html and "Telegram Members" not in html

    html = client.get("/services", {"q": str(views.pk)}).content.decode()
    assert "YouTube Views HQ" in html and "Telegram Members" not in html

    html = client.get("/services", {"q": "nothing like this"}).content.decode()
    assert "No service matches" in html


def test_names_and_descriptions_are_escaped(client):
    make_service(
        make_upstream(make_provider(), name="<script>alert(1)</script>"),
        description='<img src=x onerror="alert(2)">',
    )
    html = client.get("/services").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_rate_shown_is_the_selling_rate_not_the_cost(client):
    service = make_service(make_upstream(make_provider(), rate="1.00"), fixed_rate=Decimal("3.25"))
    assert service.rate == Decimal("3.25")
    html = client.get("/services").content.decode()
    assert "3.25 USD" in html
    assert "1.00 USD" not in html


def test_a_hostile_query_is_harmless(client):
    make_service(make_upstream(make_provider()))
    for query in ["' OR 1=1 --", "%", "_", "\x00", "١٠٠", "x" * 5000]:
        assert client.get("/services", {"q": query}).status_code in (200, 400)


def test_service_rows_keep_their_category_order(client):
    provider = make_provider()
    category = Category.objects.create(name="Ordered")
    second = make_service(make_upstream(provider, name="Second"), category=category, position=2)
    first = make_service(make_upstream(provider, name="First"), category=category, position=1)
    html = client.get("/services").content.decode()
    assert html.index(f'data-id="{first.pk}"') < html.index(f'data-id="{second.pk}"')
    assert Service.objects.count() == 2
