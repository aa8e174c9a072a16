"""A small shop the reports tests add up: real placements (charge rows), settlements with
refunds, a partial drip-feed, providers in other currencies, deposits by two methods, and the
figures it must give, written down as it is built (not read back from the reports).

| fixture | what |
|---|---|
| `shop` | the shop: `shop.expected[day]` the sales of each UTC day, `shop.deposits` per method |
| `viewer` | staff without any permission but `reports.view_reports` |
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import Payment
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import make_customer, make_user
from orders.forwarding import claim
from orders.models import Order, OrderStatus
from orders.placing import place_order
from orders.settlement import fail, settle, undelivered_refund
from orders.states import ORDERS
from payments.crediting import approve_payment


@dataclass
class Day:
    orders: int = 0
    charged: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)  # in the panel currency, unrounded
    uncosted: int = 0
    open: int = 0

    @property
    def revenue(self) -> Decimal:
        return self.charged - self.refunded


@dataclass
class Shop:
    today: date
    providers: dict = field(default_factory=dict)
    services: dict = field(default_factory=dict)
    customers: dict = field(default_factory=dict)
    orders: list = field(default_factory=list)
    expected: dict = field(default_factory=dict)  # (day, service key) -> Day
    deposits: dict = field(default_factory=dict)  # method -> (count, amount)

    def day(self, day: date, service: str) -> Day:
        return self.expected.setdefault((day, service), Day())

    def place(self, who: str, service: str, days_ago: int = 0, **fields) -> Order:
        fields = {
            "link": f"https://instagram.com/p/{len(self.orders)}",
            "quantity": "1000",
            **fields,
        }
        order = place_order(
            user=self.customers[who], service_id=self.services[service].pk, fields=fields
        )
        when = datetime.combine(self.today - timedelta(days=days_ago), datetime.min.time(), UTC)
        when += timedelta(hours=1 + len(self.orders) % 20)
        Order.objects.filter(pk=order.pk).update(created_at=when)
        order.refresh_from_db()
        self.orders.append(order)
        d = self.day(when.date(), service)
        d.orders += 1
        d.charged += order.charge
        d.open += 1
        return order

    def send(self, order: Order, service: str) -> None:
        """Claimed as the worker claims (recording the provider's exchange rate), accepted."""
        offer = self.services[service].service_offers.get().upstream_service
        assert claim(order, offer)
        ORDERS.move(
            pk=order.pk, source=OrderStatus.SENDING, target=OrderStatus.IN_PROGRESS,
            upstream_order_id=f"u{order.pk}",
        )  # fmt: skip
        order.refresh_from_db()

    def end(self, order, service, status, *, remains=0, cost=None, rate=None):
        refund = {
            OrderStatus.COMPLETED: Decimal(0),
            OrderStatus.CANCELED: order.charge,
            OrderStatus.PARTIAL: undelivered_refund(order, remains),
        }[status]
        fields = {"remains": remains} if status == OrderStatus.PARTIAL else {}
        if cost is not None:
            fields["cost"] = Decimal(cost)
        assert settle(order, status=status, refund=refund, **fields)
        d = self.day(order.created_at.date(), service)
        d.refunded += refund
        d.open -= 1
        if cost is not None:
            d.cost += Decimal(cost) * Decimal(rate)
        else:
            d.uncosted += 1


@pytest.fixture
def shop(db, sam) -> Shop:
    today = timezone.now().date()
    shop = Shop(today=today)
    usd = make_provider(name="Usd Provider")
    eur = make_provider(name="Euro Provider", currency="EUR", exchange_rate=Decimal("1.1"))
    inr = make_provider(name="Rupee Provider", currency="INR", exchange_rate=Decimal("0.012"))
    shop.providers = {"usd": usd, "eur": eur, "inr": inr}
    from catalog.models import Category

    insta, tiktok = (
        Category.objects.create(name="Instagram"),
        Category.objects.create(name="TikTok"),
    )
    shop.services = {
        "likes": make_service(make_upstream(usd, rate="0.50", name="Likes"), category=insta),
        "followers": make_service(
            make_upstream(eur, rate="2.00", name="Followers", dripfeed=True), category=insta
        ),
        "views": make_service(make_upstream(inr, rate="10", name="Views"), category=tiktok),
    }
    shop.customers = {
        "carol": make_customer("carol", funds="500"),
        "dan": make_customer("dan", funds="500"),
    }
    make_user("erin")  # signs up, buys nothing

    # Today: a completed order, a partial drip-feed (EUR), a canceled one, a failed one
    # (full refund, never sent), one still in progress (no cost yet).
    done = shop.place("carol", "likes")
    shop.send(done, "likes")
    shop.end(done, "likes", OrderStatus.COMPLETED, cost="0.4", rate="1")

    drip = shop.place("dan", "followers", quantity="100", runs="5", interval="10")
    shop.send(drip, "followers")
    shop.end(drip, "followers", OrderStatus.PARTIAL, remains=130, cost="0.74", rate="1.1")

    canceled = shop.place("carol", "views")
    shop.send(canceled, "views")
    shop.end(canceled, "views", OrderStatus.CANCELED, cost="0", rate="0.012")

    failed = shop.place("dan", "likes")
    assert fail(failed, error="refused", expected=[OrderStatus.PENDING])
    d = shop.day(failed.created_at.date(), "likes")
    d.refunded += failed.charge
    d.open -= 1

    running = shop.place("carol", "followers")
    shop.send(running, "followers")
    shop.day(running.created_at.date(), "followers").uncosted += 1

    # Earlier days: a partial INR order 3 days ago, completed orders 10 and 40 days ago.
    old = shop.place("dan", "views", days_ago=3, quantity="2000")
    shop.send(old, "views")
    shop.end(old, "views", OrderStatus.PARTIAL, remains=500, cost="15.5", rate="0.012")
    for days_ago in (10, 40):
        o = shop.place("carol", "likes", days_ago=days_ago)
        shop.send(o, "likes")
        shop.end(o, "likes", OrderStatus.COMPLETED, cost="0.45", rate="1")

    # The euro's rate changes after those orders were sent: their cost keeps the rate they had.
    eur.exchange_rate = Decimal("1.3")
    eur.save()

    # Deposits: two manual transfers and a card payment, credited once each.
    for who, method, amount in (
        ("carol", "manual", "25"),
        ("dan", "manual", "10.5"),
        ("dan", "stripe", "40"),
    ):
        payment = Payment.objects.create(
            user=shop.customers[who], method=method, amount=Decimal(amount)
        )
        approve_payment(payment_id=payment.pk, by=sam)
        n, total = shop.deposits.get(method, (0, Decimal(0)))
        shop.deposits[method] = (n + 1, total + Decimal(amount))
    return shop


@pytest.fixture
def viewer(db):
    user = make_user("vera", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_reports"))
    return user
