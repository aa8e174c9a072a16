import pytest

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


def test_live_search_hides_rows_and_empty_categories(live_server, page, catalog):
    page.goto(f"{live_server.url}/services")
    assert page.locator("tr.service:visible").count() == 3

    page.fill("#service-search", "views")
    page.wait_for_function("document.querySelectorAll('tr.service:not([hidden])').length === 1")
    assert page.locator("tr.service:visible").inner_text().count("HQ views") == 1
    assert page.locator("tbody[data-category='Instagram Followers']").is_hidden()

    page.fill("#service-search", "no such thing")
    page.wait_for_selector("#no-match", state="visible")


def test_search_works_without_javascript(live_server, browser, catalog):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/services")
    page.fill("#service-search", "cheap")
    page.click("button[type=submit]")
    assert page.locator("tr.service").count() == 1
    assert "Cheap followers" in page.locator("tr.service").inner_text()
    context.close()


def test_services_page_reads_on_a_phone(live_server, phone, catalog, tmp_path):
    phone.goto(f"{live_server.url}/services")
    row = phone.locator("tr.service").first
    assert row.bounding_box()["width"] <= 390
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(tmp_path / "services-phone.png"), full_page=True)
