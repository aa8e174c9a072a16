from decimal import Decimal

import pytest

from catalog.models import MarkupRule, Provider, Service, UpstreamService
from harness.catalog import make_provider, make_service, make_upstream

pytestmark = pytest.mark.django_db


def test_provider_key_is_never_rendered_and_blank_keeps_it(sam_client):
    provider = make_provider(api_key="very-secret-key-777")
    url = f"/admin/catalog/provider/{provider.pk}/change/"

    page = sam_client.get(url).content.decode()
    assert "very-secret-key-777" not in page
    assert sam_client.get("/admin/catalog/provider/").content.decode().count("very-secret") == 0

    data = {
        "name": provider.name,
        "api_url": provider.api_url,
        "api_key": "",
        "currency": "USD",
        "exchange_rate": "1",
        "enabled": "on",
    }
    response = sam_client.post(url, data)
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.api_key == "very-secret-key-777"


def test_sync_now_action_imports_the_catalog(sam_client, sandbox):
    provider = Provider.objects.create(name="Sandbox", api_url=sandbox.api_url, api_key=sandbox.key)
    response = sam_client.post(
        "/admin/catalog/provider/",
        {"action": "sync_now", "_selected_action": [provider.pk]},
        follow=True,
    )
    assert "2000 services: 2000 new" in response.content.decode()
    assert UpstreamService.objects.count() == 2000


def test_check_balance_action_records_the_balance(sam_client, sandbox):
    provider = Provider.objects.create(name="Sandbox", api_url=sandbox.api_url, api_key=sandbox.key)
    before = sandbox.api("balance")["balance"]
    sandbox.set_balance("321.5")
    try:
        sam_client.post(
            "/admin/catalog/provider/",
            {"action": "check_balance", "_selected_action": [provider.pk]},
        )
    finally:  # reset() keeps the balance: the later tests' orders need it
        sandbox.set_balance(before)
    provider.refresh_from_db()
    assert provider.balance == Decimal("321.5")
    assert provider.balance_currency == "USD"
    assert provider.balance_checked_at is not None


def test_sync_now_reports_a_broken_provider(sam_client):
    provider = make_provider(api_url="http://127.0.0.1:9/api/v2")
    response = sam_client.post(
        "/admin/catalog/provider/",
        {"action": "sync_now", "_selected_action": [provider.pk]},
        follow=True,
    )
    assert response.status_code == 200
    provider.refresh_from_db()
    assert provider.last_error.startswith("Sync failed")


def test_set_markup_action_reprices_the_selected_services(sam_client):
    provider = make_provider()
    chosen = [make_service(make_upstream(provider, rate="2")) for _ in range(3)]
    other = make_service(make_upstream(provider, rate="2"))
    ids = [s.pk for s in chosen]

    form = sam_client.post(
        "/admin/catalog/service/", {"action": "set_markup", "_selected_action": ids}
    )
    assert b"Set markup" in form.content
    sam_client.post(
        "/admin/catalog/service/",
        {"action": "set_markup", "_selected_action": ids, "apply": "1", "percent": "50"},
    )
    assert set(Service.objects.filter(pk__in=ids).values_list("rate", flat=True)) == {Decimal(3)}
    other.refresh_from_db()
    assert other.rate == Decimal(2)


def test_set_markup_below_minus_100_is_a_form_error(sam_client):
    service = make_service(make_upstream(make_provider(), rate="2"))
    response = sam_client.post(
        "/admin/catalog/service/",
        {"action": "set_markup", "_selected_action": [service.pk], "apply": "1", "percent": "-101"},
    )
    assert b"below -100%" in response.content
    service.refresh_from_db()
    assert service.markup_percent is None


@pytest.mark.parametrize("percent", ["-100.5", "abc", "1e400"])
def test_markup_rule_form_refuses_bad_values(sam_client, percent):
    response = sam_client.post("/admin/catalog/markuprule/add/", {"percent": percent})
    assert response.status_code == 200
    assert b"errornote" in response.content or b"errorlist" in response.content
    assert MarkupRule.objects.count() == 0


def test_saving_a_markup_rule_reprices_at_once(sam_client):
    service = make_service(make_upstream(make_provider(), rate="1"))
    sam_client.post("/admin/catalog/markuprule/add/", {"percent": "20"})
    service.refresh_from_db()
    assert service.rate == Decimal("1.2")


def test_service_list_edits_markup_inline_and_reprices(sam_client):
    service = make_service(make_upstream(make_provider(), rate="1"))
    response = sam_client.post(
        "/admin/catalog/service/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(service.pk),
            "form-0-markup_percent": "15",
            "form-0-fixed_rate": "",
            "form-0-enabled": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.rate == Decimal("1.15")


def test_upstream_services_are_read_only(sam_client):
    upstream = make_upstream(make_provider())
    assert sam_client.get("/admin/catalog/upstreamservice/").status_code == 200
    page = sam_client.get(f"/admin/catalog/upstreamservice/{upstream.pk}/change/")
    assert page.status_code == 200
    assert b'name="name"' not in page.content
    assert sam_client.get("/admin/catalog/upstreamservice/add/").status_code == 403
