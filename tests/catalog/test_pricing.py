from decimal import Decimal

import pytest

from catalog.models import Category, MarkupRule, Service, ServiceOffer, UpstreamService
from catalog.pricing import refresh_services
from harness.catalog import make_provider, make_service, make_upstream

pytestmark = pytest.mark.django_db


def rate_of(service: Service) -> Decimal:
    service.refresh_from_db()
    return service.rate


def test_markup_precedence_is_service_then_category_then_provider_then_global():
    provider = make_provider()
    category = Category.objects.create(name="Followers")
    service = make_service(make_upstream(provider, rate="1.00"), category=category)
    assert rate_of(service) == Decimal("1.0000")  # no rule at all: sold at cost

    MarkupRule.objects.create(percent=Decimal(10))
    refresh_services()
    assert rate_of(service) == Decimal("1.1000")

    MarkupRule.objects.create(provider=provider, percent=Decimal(20))
    refresh_services()
    assert rate_of(service) == Decimal("1.2000")

    MarkupRule.objects.create(category=category, percent=Decimal(30))
    refresh_services()
    assert rate_of(service) == Decimal("1.3000")

    Service.objects.filter(pk=service.pk).update(markup_percent=Decimal(40))
    refresh_services()
    assert rate_of(service) == Decimal("1.4000")

    Service.objects.filter(pk=service.pk).update(fixed_rate=Decimal("2.5"))
    refresh_services()
    assert rate_of(service) == Decimal("2.5000")


def test_rate_uses_the_exchange_rate_and_rounds_up_once():
    provider = make_provider(currency="EUR", exchange_rate=Decimal("1.0833"))
    MarkupRule.objects.create(percent=Decimal("12.5"))
    service = make_service(make_upstream(provider, rate="0.3333"))
    # 0.3333 × 1.0833 × 1.125 = 0.40619812… → 0.4062
    assert rate_of(service) == Decimal("0.4062")


def test_a_zero_markup_of_minus_100_sells_for_nothing():
    service = make_service(make_upstream(make_provider(), rate="3"), markup_percent=Decimal(-100))
    assert rate_of(service) == Decimal("0.0000")


def test_quantity_range_is_the_override_clamped_to_the_upstreams():
    upstream = make_upstream(make_provider(), min=50, max=5000)
    service = make_service(upstream, min_override=10, max_override=100_000)
    assert (service.min, service.max) == (50, 5000)
    Service.objects.filter(pk=service.pk).update(min_override=100, max_override=1000)
    refresh_services([service.pk])
    service.refresh_from_db()
    assert (service.min, service.max) == (100, 1000)


def test_service_sells_its_first_usable_offer_and_falls_back():
    primary = make_upstream(make_provider(), rate="1.00", refill=True)
    fallback_provider = make_provider()
    fallback = make_upstream(fallback_provider, rate="2.00", cancel=True)
    service = make_service(primary)
    ServiceOffer.objects.create(service=service, upstream_service=fallback, priority=1)

    refresh_services([service.pk])
    service.refresh_from_db()
    assert (service.rate, service.refill, service.cancel) == (Decimal(1), True, False)

    primary.active = False
    primary.save()
    refresh_services([service.pk])
    service.refresh_from_db()
    assert (service.rate, service.refill, service.cancel, service.available) == (
        Decimal(2),
        False,
        True,
        True,
    )

    fallback_provider.enabled = False
    fallback_provider.save()
    refresh_services([service.pk])
    service.refresh_from_db()
    assert service.available is False
    assert service.rate == Decimal(1)  # unavailable: keeps its primary's price


def test_refresh_writes_only_what_changed(django_assert_max_num_queries):
    provider = make_provider()
    for _ in range(30):
        make_service(make_upstream(provider))
    assert refresh_services() == 0
    UpstreamService.objects.update(rate=Decimal("2.00"))  # a bulk write: nothing repriced yet
    with django_assert_max_num_queries(4):
        assert refresh_services() == 30


# --- a markup rule reprices by any path; nothing sells at zero ---------------------------------


def test_a_markup_rule_reprices_by_plain_orm_save_update_and_delete():
    provider = make_provider()
    category = Category.objects.create(name="Likes")
    service = make_service(make_upstream(provider, rate="1.00"), category=category)
    other = make_service(make_upstream(provider, rate="2.00"))

    rule = MarkupRule.objects.create(percent=Decimal(10))  # a shell, a command: no admin
    assert (rate_of(service), rate_of(other)) == (Decimal("1.1000"), Decimal("2.2000"))

    rule.percent = Decimal(50)
    rule.save()
    assert rate_of(service) == Decimal("1.5000")

    MarkupRule.objects.filter(pk=rule.pk).update(percent=Decimal(20))  # bulk
    assert rate_of(other) == Decimal("2.4000")

    MarkupRule.objects.bulk_create([MarkupRule(category=category, percent=Decimal(30))])
    assert (rate_of(service), rate_of(other)) == (Decimal("1.3000"), Decimal("2.4000"))

    MarkupRule.objects.filter(category=category).delete()
    assert rate_of(service) == Decimal("1.2000")

    rule.delete()
    assert (rate_of(service), rate_of(other)) == (Decimal("1.0000"), Decimal("2.0000"))


@pytest.mark.parametrize(
    ("rule", "service_fields", "cost"),
    [
        ({"percent": Decimal(-100)}, {}, "1.00"),  # markup -100%
        (None, {"markup_percent": Decimal(-100)}, "1.00"),  # the service's own -100%
        (None, {"fixed_rate": Decimal(0)}, "1.00"),  # a fixed rate of 0
        (None, {}, "0"),  # an upstream rate of 0 stored before syncs skipped it
    ],
)
def test_a_service_whose_selling_rate_is_zero_is_not_on_sale(rule, service_fields, cost):
    provider = make_provider()
    if rule:
        MarkupRule.objects.create(**rule)
    service = make_service(make_upstream(provider, rate=cost), **service_fields)
    refresh_services([service.pk])
    service.refresh_from_db()
    assert service.rate <= 0
    assert service.available is False
