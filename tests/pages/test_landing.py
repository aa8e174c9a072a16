from decimal import Decimal

import pytest

from catalog.models import Category
from harness.catalog import make_provider, make_service, make_upstream
from pages.models import SiteSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    provider = make_provider()
    insta = Category.objects.create(name="Instagram Followers", position=1)
    tiktok = Category.objects.create(name="TikTok Likes", position=2)
    yt = Category.objects.create(name="YouTube Views", position=3)
    return {
        "insta_cheap": make_service(
            make_upstream(provider, name="IG cheap"), category=insta, fixed_rate=Decimal("0.5")
        ),
        "insta_dear": make_service(
            make_upstream(provider, name="IG real"), category=insta, fixed_rate=Decimal("2.25")
        ),
        "tiktok": make_service(
            make_upstream(provider, name="TT likes"), category=tiktok, fixed_rate=Decimal("1.1")
        ),
        "off": make_service(
            make_upstream(provider, name="YT off"), category=yt, enabled=False,
            fixed_rate=Decimal("0.01"),
        ),
    }  # fmt: skip


def test_the_landing_page_shows_the_site_settings(client, site):
    site.name = "Nova Boost"
    site.tagline = "Grow faster on every platform"
    site.save()
    site.selling_points.all().delete()
    site.selling_points.create(title="Lightning delivery", text="Minutes, not days")

    html = client.get("/").content.decode()

    assert "<title>Nova Boost — Grow faster on every platform</title>" in html
    assert "Lightning delivery" in html and "Minutes, not days" in html
    assert "Fast delivery" not in html
    assert "Admin support" in html and "Payment related queries only" in html
    assert "Customer support" in html and "Orders / account help" in html
    assert 'href="/signup"' in html and 'href="/login"' in html
    assert "© " in html and "Nova Boost. All Rights Reserved." in html
    for page in ("/terms", "/privacy", "/refund-policy"):
        assert f'href="{page}"' in html


def test_platforms_come_from_the_catalog_with_counts_and_from_prices(client, site, catalog):
    site.platforms = "Instagram\nTikTok\nYouTube\nSnapchat"
    site.save()
    html = client.get("/").content.decode()
    platforms = html[
        html.index('id="platforms-title"') : html.index(
            "</section>", html.index('id="platforms-title"')
        )
    ]
    assert "Instagram" in platforms and "2 services" in platforms and "0.50 USD" in platforms
    assert "TikTok" in platforms and "1 service" in platforms and "1.10 USD" in platforms
    # Nothing on sale for YouTube (the one service is off), nothing at all for Snapchat.
    assert "YouTube" not in platforms and "Snapchat" not in platforms


def test_platforms_default_to_the_first_word_of_each_category(client, site, catalog):
    site.platforms = ""
    site.save()
    html = client.get("/").content.decode()
    assert "Instagram" in html and "TikTok" in html


def test_featured_services_show_their_live_rates(client, site, catalog):
    site.featured_services.set([catalog["insta_dear"], catalog["off"]])
    html = client.get("/").content.decode()
    assert "IG real" in html and "2.25 USD" in html
    assert f"/order/new?service={catalog['insta_dear'].pk}" in html
    assert "YT off" not in html  # not on sale: not featured

    catalog["insta_dear"].fixed_rate = Decimal("3.5")
    catalog["insta_dear"].save()  # an edit of a service refreshes the cached page
    from catalog.pricing import refresh_services

    refresh_services([catalog["insta_dear"].pk])
    assert "3.50 USD" in client.get("/").content.decode()


def test_a_logged_in_customer_at_the_root_gets_the_dashboard(client, alice):
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 200
    assert "Dashboard" in response.content.decode()
    assert [t.name for t in response.templates][0] == "accounts/dashboard.html"


def test_a_warm_landing_page_costs_no_query(client, site, catalog, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_an_admin_edit_of_the_site_settings_shows_at_once(client, sam, site):
    assert "Boostly" in client.get("/").content.decode()  # cached now
    staff = type(client)()
    staff.force_login(sam)
    page = staff.get("/admin/pages/sitesettings/1/change/")
    assert page.status_code == 200
    form = _admin_form_data(page)
    form.update(name="Renamed Panel", tagline="A new tagline")
    response = staff.post("/admin/pages/sitesettings/1/change/", form)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.formset.errors for f in response.context["inline_admin_formsets"]],
    )
    assert SiteSettings.objects.get().name == "Renamed Panel"

    html = client.get("/").content.decode()
    assert "Renamed Panel" in html and "A new tagline" in html
    assert "Renamed Panel" in client.get("/services").content.decode()


def test_the_admin_is_titled_with_the_panel_name(sam_client, site):
    site.name = "Nova Boost"
    site.save()
    html = sam_client.get("/admin/").content.decode()
    assert "Django administration" not in html
    assert "Nova Boost" in html


def test_a_contact_channel_links_to_its_kind(client, site):
    site.channels.all().delete()
    site.channels.create(title="Mail us", kind="email", value="help@example.com")
    site.channels.create(title="Telegram", kind="telegram", value="@nova_help")
    site.channels.create(title="WhatsApp", kind="whatsapp", value="+44 20 7946 0958")
    html = client.get("/").content.decode()
    assert 'href="mailto:help@example.com"' in html
    assert 'href="https://t.me/nova_help"' in html
    assert 'href="https://wa.me/442079460958"' in html


def _admin_form_data(response) -> dict:
    """The admin change form's current values, as a browser would post them back."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else value
    data.pop("logo", None)
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        prefix = fs.prefix
        data[f"{prefix}-TOTAL_FORMS"] = str(fs.total_form_count())
        data[f"{prefix}-INITIAL_FORMS"] = str(fs.initial_form_count())
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for i, subform in enumerate(fs.forms):
            for name in subform.fields:
                value = subform[name].value()
                if value is not None and value is not False:
                    data[f"{prefix}-{i}-{name}"] = value
    return data


def test_an_uploaded_logo_shows_in_the_header_and_social_tags(client, site, settings, tmp_path):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (64, 64), "purple").save(buffer, "PNG")
    site.logo.save("logo.png", SimpleUploadedFile("logo.png", buffer.getvalue()), save=True)
    url = f"/uploads/{site.logo.name}"
    try:
        html = client.get("/").content.decode()
        assert f'<img src="{url}" alt="" class="brand-logo"' in html
        assert f'<meta property="og:image" content="http://testserver{url}">' in html
        logo = client.get(url)
        assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    finally:
        site.logo.delete(save=False)
