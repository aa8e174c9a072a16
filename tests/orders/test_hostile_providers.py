"""Hostile or broken providers are contained: whatever one provider answers (JSON nested past
the decoder's limit, NUL in a text, a Partial for an order of no units, an id too long to
store), it is recorded on that provider or order and the same run goes on to settle and refund
the others. A second sandbox plays the hostile provider with its fault switches."""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import LedgerEntry, LedgerKind
from catalog.models import Provider
from catalog.sync import sync_provider
from catalog.tasks import check_all_balances
from catalog.upstream import UpstreamClient
from orders.forwarding import forward, release_held
from orders.models import Order, OrderStatus, Refill, RequestStatus
from orders.placing import place_order
from orders.polling import poll_orders
from orders.refills import forward_refill, poll_refills
from sandbox.process import SandboxProcess

from .helpers import default_service

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(scope="module")
def hostile_process():
    with SandboxProcess(services=200, speed=1.0, key="hostile-key") as process:
        yield process


@pytest.fixture
def hostile(hostile_process):
    hostile_process.reset()
    yield hostile_process
    hostile_process.reset()


@pytest.fixture(autouse=True)
def shared_balance_kept(sandbox_process):
    """The shared sandbox's reset() keeps its balance: what these orders spend goes back."""
    before = sandbox_process.api("balance")["balance"]
    yield
    sandbox_process.set_balance(before)


@pytest.fixture
def hostile_provider(hostile) -> Provider:
    """Created before the sandbox provider: polled first, so its failure comes first."""
    provider = Provider.objects.create(name="Hostile", api_url=hostile.api_url, api_key=hostile.key)
    sync_provider(provider)
    return provider


def service_at(provider: Provider):
    return default_service(service_offers__upstream_service__provider=provider)


def sent(user, service, count=1) -> list[Order]:
    orders = []
    for _ in range(count):
        order = place_order(
            user=user,
            service_id=service.pk,
            fields={"link": f"https://x.test/{Order.objects.count()}", "quantity": "1000"},
        )
        assert forward(order.pk) == OrderStatus.IN_PROGRESS
        order.refresh_from_db()
        orders.append(order)
    return orders


def refunds(order) -> list[Decimal]:
    return list(
        LedgerEntry.objects.filter(order=order, kind=LedgerKind.REFUND).values_list(
            "amount", flat=True
        )
    )


def upstream(order) -> int:
    return int(order.upstream_order_id)


def assert_settled(order, status, refund) -> None:
    order.refresh_from_db()
    assert order.status == status
    assert refunds(order) == ([refund] if refund else [])


def test_deeply_nested_json_from_one_provider_leaves_the_others_settling(
    hostile_provider, sandbox_provider, dave_with_100k, sandbox, hostile
):
    [stuck] = sent(dave_with_100k, service_at(hostile_provider))
    partial, canceled = sent(dave_with_100k, service_at(sandbox_provider), 2)
    sandbox.set_outcome(upstream(partial), "Partial")
    sandbox.set_outcome(upstream(canceled), "Canceled")
    sandbox.advance(3 * 3600)
    remains = int(sandbox.order(upstream(partial))["status_answer"]["remains"])
    hostile.set_faults(nested_rate=1, actions=["status"])

    result = poll_orders()  # used to die here with a RecursionError, every run

    assert_settled(partial, OrderStatus.PARTIAL, partial.charge * remains / 1000)
    assert_settled(canceled, OrderStatus.CANCELED, canceled.charge)
    stuck.refresh_from_db()
    assert stuck.status == OrderStatus.IN_PROGRESS
    hostile_provider.refresh_from_db()
    assert "nested deeper than" in hostile_provider.last_error
    assert hostile_provider.last_error_at is not None
    assert result.errors == 1


def test_nul_and_a_partial_of_no_units_are_that_orders_business_only(
    sandbox_provider, dave_with_100k, sandbox
):
    empty, nul, canceled = sent(dave_with_100k, service_at(sandbox_provider), 3)
    Order.objects.filter(pk=empty.pk).update(quantity=0)  # by hand, or an older panel
    sandbox.override(upstream(empty), status="Partial", remains="0")
    sandbox.override(upstream(nul), status="In progress\u0000", remains="12\u0000")
    sandbox.set_outcome(upstream(canceled), "Canceled")
    sandbox.advance(3 * 3600)

    result = poll_orders()  # PostgreSQL refused the NUL, then 0/0 in the refund: both fatal

    assert_settled(empty, OrderStatus.PARTIAL, empty.charge)  # nothing deliverable: all back
    assert_settled(canceled, OrderStatus.CANCELED, canceled.charge)
    nul.refresh_from_db()
    assert (nul.status, nul.upstream_status, nul.remains_raw) == (
        OrderStatus.IN_PROGRESS, "In progress", "12",
    )  # fmt: skip
    assert result.settled == {OrderStatus.PARTIAL: 1, OrderStatus.CANCELED: 1}


def test_any_exception_for_one_provider_is_recorded_on_it_and_the_run_goes_on(
    hostile_provider, sandbox_provider, dave_with_100k, sandbox, monkeypatch
):
    [stuck] = sent(dave_with_100k, service_at(hostile_provider))
    [canceled] = sent(dave_with_100k, service_at(sandbox_provider))
    sandbox.set_outcome(upstream(canceled), "Canceled")
    sandbox.advance(3 * 3600)
    real = UpstreamClient.statuses

    def statuses(client, ids):  # a bug of ours that only this provider's answers reach
        if client.api_url == hostile_provider.api_url:
            raise KeyError("unforeseen")
        return real(client, ids)

    monkeypatch.setattr(UpstreamClient, "statuses", statuses)
    poll_orders()

    assert_settled(canceled, OrderStatus.CANCELED, canceled.charge)
    hostile_provider.refresh_from_db()
    assert hostile_provider.last_error == "Polling failed: KeyError: 'unforeseen'"


def test_an_upstream_order_id_too_long_to_store_makes_that_order_unknown_with_the_id(
    hostile_provider, sandbox_provider, dave_with_100k, hostile
):
    hostile.set_faults(long_ids=True)
    order = place_order(
        user=dave_with_100k,
        service_id=service_at(hostile_provider).pk,
        fields={"link": "https://x.test/long", "quantity": "1000"},
    )
    assert forward(order.pk) == OrderStatus.UNKNOWN  # used to raise: value too long for 64
    order.refresh_from_db()
    [placed] = hostile.orders()
    assert order.upstream_order_id is None
    assert f"{placed['id']}{'0' * 100}" in order.flag
    assert sent(dave_with_100k, service_at(sandbox_provider))  # the others are sent as usual


def test_a_hostile_balance_answer_leaves_the_other_balances_and_releases(
    hostile_provider, sandbox_provider, dave_with_100k, hostile
):
    hostile.set_faults(nested_rate=1, actions=["balance"])
    good = service_at(sandbox_provider)
    held = []
    for provider, service in ((hostile_provider, service_at(hostile_provider)),
                              (sandbox_provider, good)):  # fmt: skip
        order = place_order(
            user=dave_with_100k,
            service_id=service.pk,
            fields={"link": f"https://x.test/{provider.pk}", "quantity": "1000"},
        )
        Order.objects.filter(pk=order.pk).update(
            status=OrderStatus.HELD, provider=provider, upstream_service=service.offers.first()
        )
        held.append(order)

    check_all_balances()  # the periodic job, as the beat runs it
    assert release_held() == 1

    statuses = [Order.objects.get(pk=order.pk).status for order in held]
    assert statuses == [OrderStatus.HELD, OrderStatus.PENDING]
    hostile_provider.refresh_from_db()
    sandbox_provider.refresh_from_db()
    assert "nested deeper than" in hostile_provider.last_error
    assert sandbox_provider.balance is not None
    assert sandbox_provider.balance_checked_at > hostile_provider.created_at - timedelta(days=1)


def completed_with_refill_service(user, provider, process) -> Order:
    service = default_service(refill=True, service_offers__upstream_service__provider=provider)
    [order] = sent(user, service)
    process.set_outcome(upstream(order), "Completed")
    process.advance(3 * 3600)
    poll_orders(provider_id=provider.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    return order


def test_refill_polling_goes_on_past_a_hostile_provider(
    hostile_provider, sandbox_provider, dave_with_100k, sandbox, hostile
):
    refills = []
    for provider, process in ((hostile_provider, hostile), (sandbox_provider, sandbox)):
        order = completed_with_refill_service(dave_with_100k, provider, process)
        refill = Refill.objects.create(order=order, user=dave_with_100k)
        assert forward_refill(refill.pk) == RequestStatus.ACCEPTED
        refills.append(refill)
    hostile.set_faults(nested_rate=1, actions=["refill_status"])
    sandbox.advance(20 * 60)  # the sandbox finishes a refill 16 minutes after the request

    poll_refills()  # "Hostile" comes first: its RecursionError used to end the run

    stuck, done = (Refill.objects.get(pk=refill.pk) for refill in refills)
    assert (stuck.status, done.status) == (RequestStatus.ACCEPTED, RequestStatus.COMPLETED)
    hostile_provider.refresh_from_db()
    assert "nested deeper than" in hostile_provider.last_error


def test_a_refill_id_too_long_to_store_makes_the_refill_unknown_with_the_id(
    hostile_provider, dave_with_100k, hostile
):
    order = completed_with_refill_service(dave_with_100k, hostile_provider, hostile)
    refill = Refill.objects.create(order=order, user=dave_with_100k)
    hostile.set_faults(long_ids=True, actions=["refill"])

    assert forward_refill(refill.pk) == RequestStatus.UNKNOWN

    refill.refresh_from_db()
    assert refill.upstream_refill_id is None
    assert "too long to store" in refill.error and "0" * 100 in refill.error
