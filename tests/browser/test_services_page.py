import pytest
from playwright.sync_api import expect

from catalog.models import Category
from harness.catalog import make_provider, make_service, make_upstream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalog():
    provider = make_provider()
    followers = Category.objects.create(name="Instagram Followers", position=1)
    views = Category.objects.create(name="YouTube Views", position=2)
    make_service(
        make_upstream(provider, name="Real followers", rate="0.9", refill=True), category=followers
    )
    make_service(make_upstream(provider, name="Cheap followers", rate="0.2"), category=followers)
    make_service(
        make_upstream(provider, name="HQ views", rate="1.5", dripfeed=True), category=views
    )
    return {"followers": followers, "views": views}


def test_opening_a_category_loads_its_rows(live_server, page, catalog):
    page.goto(f"{live_server.url}/services")
    assert page.locator("tr.service").count() == 0
    page.click(f"#c{catalog['views'].pk} summary")
    expect(page.locator(f"#c{catalog['views'].pk} tr.service")).to_have_count(1)
    expect(page.locator(f"#c{catalog['views'].pk} tr.service")).to_contain_text("HQ views")


def test_live_search_finds_services_in_closed_categories(live_server, page, catalog):
    page.goto(f"{live_server.url}/services")
    page.fill("#service-search", "views hq")
    expect(page.locator("#search-results tr.service")).to_have_count(1)
    expect(page.locator("#search-results")).to_contain_text("HQ views")
    expect(page.locator("#categories")).to_be_hidden()
    assert "q=views+hq" in page.url or "q=views%20hq" in page.url

    page.fill("#service-search", "no such thing")
    expect(page.locator("#search-results")).to_contain_text("No service matches")
    page.fill("#service-search", "")
    expect(page.locator("#categories")).to_be_visible()


def test_the_page_works_without_javascript(live_server, browser, catalog):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/services")
    page.fill("#service-search", "cheap")
    page.click("button[type=submit]")
    assert page.locator("tr.service").count() == 1
    assert "Cheap followers" in page.locator("tr.service").inner_text()
    page.goto(f"{live_server.url}/services")
    page.click(f"#c{catalog['followers'].pk} summary")
    page.click(f"#c{catalog['followers'].pk} .loading a")
    assert page.locator("tr.service").count() == 2
    context.close()


def test_services_page_reads_on_a_phone(live_server, phone, catalog, tmp_path):
    phone.goto(f"{live_server.url}/services")
    phone.click(f"#c{catalog['followers'].pk} summary")
    row = phone.locator("tr.service").first
    expect(row).to_be_visible()
    assert row.bounding_box()["width"] <= 390
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(tmp_path / "services-phone.png"), full_page=True)
