"""axe-core (the accessibility engine browsers' own audits use) on the public and support
pages, at phone and desktop widths: no serious or critical violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from catalog.models import Category
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import make_user
from pages.models import Post
from support.tickets import open_ticket, staff_reply
from tests.pages.defaults import restore_defaults

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = [
    "/",
    "/services",
    "/services?q=followers",
    "/blog",
    "/blog/welcome",
    "/terms",
    "/login",
    "/signup",
]
CUSTOMER = ["/support", "/support/new", "/support/{ticket}", "/orders"]


@pytest.fixture
def content():
    restore_defaults()
    category = Category.objects.create(name="Instagram Followers")
    make_service(make_upstream(make_provider(), name="Real followers"), category=category)
    Post.objects.create(
        title="Welcome", slug="welcome", status="published", summary="Hi", body="## Hello\n\nText."
    )
    alice = make_user("alice")
    sam = make_user("sam", is_staff=True, is_superuser=True)
    from support.models import Department

    ticket = open_ticket(
        user=alice, department=Department.objects.first(), subject="Help", body="Hi"
    )
    staff_reply(ticket=ticket, staff=sam, body="Hello!")
    return {"ticket": ticket, "alice": alice}


def serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [390, 1280])
def test_public_and_support_pages_have_no_serious_accessibility_violation(
    live_server, browser, content, width, client
):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    found = {}
    for path in PUBLIC:
        page.goto(live_server.url + path)
        found[path] = serious(page)
    client.force_login(content["alice"])
    cookie = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    for path in CUSTOMER:
        page.goto(live_server.url + path.format(ticket=content["ticket"].pk))
        found[path] = serious(page)
    context.close()
    assert {path: v for path, v in found.items() if v} == {}
