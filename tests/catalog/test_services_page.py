import gzip
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Category
from harness.catalog import make_provider, make_service, make_upstream

pytestmark = pytest.mark.django_db


def page_queries(client, url="/services") -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.fixture
def two_categories():
    provider = make_provider()
    likes = Category.objects.create(name="TikTok Likes", position=2)
    followers = Category.objects.create(name="Instagram Followers", position=1)
    real = make_service(
        make_upstream(provider, rate="0.5", name="Real followers", min=50, max=20000, refill=True),
        category=followers,
        description="Starts in 1 hour",
    )
    cheap = make_service(
        make_upstream(provider, rate="0.2", name="Cheap followers"), category=followers
    )
    fast = make_service(
        make_upstream(provider, rate="1.2345", name="Fast likes", cancel=True, dripfeed=True),
        category=likes,
    )
    return {"followers": followers, "likes": likes, "real": real, "cheap": cheap, "fast": fast}


def test_it_lists_every_category_with_its_count_and_lowest_rate(client, two_categories):
    html = client.get("/services").content.decode()
    assert html.index("Instagram Followers") < html.index("TikTok Likes")
    followers = two_categories["followers"]
    assert f'<details class="category" id="c{followers.pk}"' in html
    assert "2 services · from 0.20 USD" in html
    assert "1 service · from 1.2345 USD" in html
    assert "3 services in 2 categories" in html
    # Rows come on demand: none of them is in the page itself.
    assert "Real followers" not in html


def test_a_category_fragment_has_its_rows_with_rate_range_marks_and_description(
    client, two_categories
):
    followers = two_categories["followers"]
    html = client.get(f"/services/category/{followers.pk}").content.decode()
    assert "Real followers" in html and "Cheap followers" in html and "Fast likes" not in html
    assert "0.50 USD" in html and "20,000" in html and "Starts in 1 hour" in html
    assert 'class="mark refill"' in html
    assert html.index("Real followers") < html.index("Cheap followers")  # category order
    likes = client.get(f"/services/category/{two_categories['likes'].pk}").content.decode()
    assert 'class="mark cancel"' in likes and 'class="mark drip"' in likes


def test_without_javascript_a_category_opens_in_the_page_itself(client, two_categories):
    followers = two_categories["followers"]
    html = client.get("/services").content.decode()
    assert f'href="/services?category={followers.pk}#c{followers.pk}"' in html
    opened = client.get(f"/services?category={followers.pk}").content.decode()
    assert f'id="c{followers.pk}" data-src="/services/category/{followers.pk}" open' in opened
    assert "Real followers" in opened and "Fast likes" not in opened


def test_unknown_or_hidden_categories_are_not_found(client, two_categories):
    hidden = Category.objects.create(name="Hidden", enabled=False)
    make_service(make_upstream(make_provider(), name="In hidden"), category=hidden)
    assert client.get(f"/services/category/{hidden.pk}").status_code == 404
    assert client.get("/services/category/999999").status_code == 404
    assert "Hidden" not in client.get("/services").content.decode()


def test_search_finds_services_by_words_in_any_order_and_by_id(client, two_categories):
    html = client.get("/services", {"q": "followers real"}).content.decode()
    assert "Real followers" in html and "Cheap followers" not in html
    # Words may match the category too: "instagram" is only in the category's name.
    html = client.get("/services", {"q": "instagram cheap"}).content.decode()
    assert "Cheap followers" in html and "Real followers" not in html
    fast = two_categories["fast"]
    html = client.get("/services", {"q": str(fast.pk)}).content.decode()
    assert "Fast likes" in html
    html = client.get("/services/search", {"q": f"#{fast.pk}"}).content.decode()
    assert "Fast likes" in html
    html = client.get("/services", {"q": "nothing like this"}).content.decode()
    assert "No service matches" in html


def test_search_pages_through_many_results(client):
    provider = make_provider()
    category = Category.objects.create(name="Bulk")
    for i in range(105):
        make_service(
            make_upstream(provider, name=f"Bulk views {i:03}"), category=category, position=i
        )
    first = client.get("/services", {"q": "bulk"}).content.decode()
    assert "1–100 of 105 services" in first and "Bulk views 099" in first
    assert "Bulk views 100" not in first and "page=2" in first
    second = client.get("/services", {"q": "bulk", "page": "2"}).content.decode()
    assert "Bulk views 104" in second and "Bulk views 000" not in second


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
    assert html.count('<details class="category"') == 41


def test_the_page_stays_small_however_many_services(client):
    provider = make_provider()
    categories = [Category.objects.create(name=f"Platform {i} Followers") for i in range(10)]
    for i in range(400):
        make_service(
            make_upstream(provider, name=f"Followers {i} [HQ] [Max 10K]", description="x" * 200),
            category=categories[i % 10],
        )
    packed = client.get("/services", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert len(gzip.decompress(packed.content)) < 20_000  # not 400 rows: about 10 categories
    assert len(packed.content) < 5_000


def test_the_page_and_fragments_go_gzipped_to_browsers_that_take_it(client, two_categories):
    for url in ("/services", f"/services/category/{two_categories['followers'].pk}"):
        plain = client.get(url)
        packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert "Content-Encoding" not in plain
        assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
        assert gzip.decompress(packed.content) == plain.content


def test_disabled_unavailable_and_hidden_category_services_are_not_listed(client):
    provider = make_provider()
    category = Category.objects.create(name="Mixed")
    make_service(make_upstream(provider, name="On sale"), category=category)
    make_service(make_upstream(provider, name="Switched off"), category=category, enabled=False)
    make_service(make_upstream(provider, name="Gone upstream", active=False), category=category)

    html = client.get(f"/services/category/{category.pk}").content.decode()
    assert "On sale" in html
    for name in ("Switched off", "Gone upstream"):
        assert name not in html
        found = client.get("/services/search", {"q": name}).content.decode()
        assert "No service matches" in found
    assert "1 service · from" in client.get("/services").content.decode()


def test_names_descriptions_and_queries_are_escaped(client):
    service = make_service(
        make_upstream(make_provider(), name="<script>alert(1)</script>"),
        description='<img src=x onerror="alert(2)">',
    )
    html = client.get(f"/services/category/{service.category_id}").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    html = client.get("/services", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_rate_shown_is_the_selling_rate_not_the_cost(client):
    service = make_service(make_upstream(make_provider(), rate="1.00"), fixed_rate=Decimal("3.25"))
    assert service.rate == Decimal("3.25")
    html = client.get(f"/services/category/{service.category_id}").content.decode()
    assert "3.25 USD" in html
    assert "1.00 USD" not in html


def test_a_hostile_query_is_harmless(client):
    make_service(make_upstream(make_provider()))
    for query in ["' OR 1=1 --", "%", "_", "\x00", "١٠٠", "x" * 5000, "9" * 40, "a " * 100]:
        assert client.get("/services", {"q": query}).status_code == 200
        assert client.get("/services/search", {"q": query}).status_code == 200
    for page in ("-1", "abc", "99999999999"):
        assert client.get("/services", {"q": "x", "page": page}).status_code == 200


def test_an_edited_service_shows_at_once(client, two_categories):
    url = f"/services/category/{two_categories['followers'].pk}"
    assert "Real followers" in client.get(url).content.decode()
    real = two_categories["real"]
    real.name = "Renamed followers"
    real.save()
    assert "Renamed followers" in client.get(url).content.decode()
