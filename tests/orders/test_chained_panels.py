"""Two panels chained over API v2: panel A resells panel B, which resells the sandbox.

Panel B runs as real processes (harness/panels.py): its own PostgreSQL database, migrated, the
sandbox as its provider with a 20% markup, a customer (panel A's account) with funds and an API
key, granian WSGI and one Celery worker on a Redis db of its own. Panel A is this test process:
its provider is B's /api/v2 with that key, and a 10% markup.

Covered, all over real HTTP:
- A's catalog sync prices B's services with both markups, each rounded up to 4 places once;
- an order placed on A is forwarded (A: `forward`) to B, B's worker forwards it to the sandbox;
- with simulated time advanced, B's poller settles first and A's poller only sees the final
  status after B did: Completed (no refund), Partial (each panel refunds its own rate × remains
  / 1000 to its own customer), and A's cost for the order is what B charged net of B's refund;
- both ledgers stay consistent (A: the autouse invariant; B: a query in B's environment).
"""

import json
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from catalog.models import MarkupRule, Provider, Service, ServiceOffer, UpstreamService
from catalog.sync import sync_provider
from harness.panels import PanelProcess, server_database_url
from harness.waiting import wait_until
from orders.forwarding import forward
from orders.models import Order, OrderStatus
from orders.placing import place_order
from orders.polling import poll_orders

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

B_MARKUP = Decimal(20)
A_MARKUP = Decimal(10)
B_FUNDS = Decimal(10_000)  # what panel A's account holds on panel B
A_FUNDS = Decimal(1_000)  # what A's customer (carol) holds on panel A
QUANTITY = 1000
WAIT = 30.0  # seconds, for B's worker to forward an order to the sandbox


def ceil4(value: Decimal) -> Decimal:
    """Rounded up to 4 decimal places: how a selling rate is computed (docs/design.md)."""
    return value.quantize(Decimal("0.0001"), rounding=ROUND_CEILING)


def b_broker() -> str:
    """Panel B's broker: the same Redis server as A's, database n + 8 (mod 16) for A's n,
    so a run on its own Redis db (e.g. 9 -> 1) gives B one of its own too."""
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        return "redis://127.0.0.1:6379/1"
    base, _, db = url.rpartition("/")
    return f"{base}/{(int(db or 0) + 8) % 16}"


def with_params(code: str, **params: Any) -> str:
    """`code` for `manage.py shell -c`, with `P` bound to `params` (JSON: no quoting bugs)."""
    return f"import json\nP = json.loads({json.dumps(params)!r})\n{code}"


SETUP_B = """
from decimal import Decimal
from django.db import transaction
from accounts import ledger
from accounts.apikeys import issue_key
from accounts.models import LedgerKind, User
from catalog.models import MarkupRule, Provider, ServiceOffer
from catalog.sync import sync_provider

MarkupRule.objects.create(percent=Decimal(P["markup"]))
provider = Provider.objects.create(name="Sandbox", api_url=P["api_url"], api_key=P["api_key"])
synced = sync_provider(provider)
user = User.objects.create_user("panel-a")
with transaction.atomic():
    ledger.credit(user_id=user.pk, amount=Decimal(P["funds"]), kind=LedgerKind.ADJUSTMENT,
                  memo="chain test")
offers = ServiceOffer.objects.values_list("service_id", "upstream_service__upstream_id")
print(json.dumps({"key": issue_key(user), "user": user.pk, "synced": str(synced),
                  "offers": {str(service): upstream for service, upstream in offers}}))
"""

LEDGER_B = """
from django.db.models import Sum
from accounts.models import LedgerEntry, User
from orders.models import Order

user = User.objects.get(pk=P["user"])
totals = dict(LedgerEntry.objects.values_list("user_id").annotate(s=Sum("amount")))
print(json.dumps({
    "balance": str(user.balance),
    "unbalanced": [pk for pk, balance in User.objects.values_list("pk", "balance")
                   if balance != totals.get(pk, 0)],
    "orders": {str(o.pk): {"status": o.status, "rate": str(o.rate), "charge": str(o.charge),
                           "refunded": str(o.refunded), "remains": o.remains, "cost": str(o.cost),
                           "upstream_order_id": o.upstream_order_id}
               for o in Order.objects.filter(user=user)},
    "entries": [[kind, str(amount), order] for kind, amount, order in
                LedgerEntry.objects.filter(user=user).order_by("id")
                .values_list("kind", "amount", "order_id")],
}))
"""

POLL_B = """
from orders.polling import poll_orders

result = poll_orders()
print(json.dumps({"checked": result.checked, "settled": dict(result.settled),
                  "errors": result.errors, "flagged": result.flagged}))
"""


@dataclass
class PanelB:
    process: PanelProcess
    key: str  # panel A's API key on panel B
    user: int  # panel A's account on panel B
    offers: dict[str, str]  # B's service id -> the sandbox's service id

    @property
    def api_url(self) -> str:
        return self.process.api_url

    def api(self, action: str, **fields: Any) -> Any:
        return self.process.api(action, key=self.key, **fields)

    def ledger(self) -> dict[str, Any]:
        return self.process.shell_json(with_params(LEDGER_B, user=self.user))

    def poll(self) -> dict[str, Any]:
        return self.process.shell_json(with_params(POLL_B))

    def logs(self) -> str:
        web, worker = self.process.log("web")[-3000:], self.process.log("worker")[-3000:]
        return f"--- B web ---\n{web}\n--- B worker ---\n{worker}"


@pytest.fixture(scope="module")
def panel_b(sandbox_process, django_db_setup, tmp_path_factory):
    """Panel B, up for the whole module; its processes stopped and its database dropped after."""
    name = f"{connection.settings_dict['NAME']}_b"
    process = PanelProcess(
        name="b",
        database_url=server_database_url(connection.settings_dict, name),
        broker_url=b_broker(),
        work_dir=tmp_path_factory.mktemp("panel_b"),
    )
    process.create_database()
    try:
        process.migrate()
        info = process.shell_json(
            with_params(
                SETUP_B,
                markup=str(B_MARKUP),
                api_url=sandbox_process.api_url,
                api_key=sandbox_process.key,
                funds=str(B_FUNDS),
            )
        )
        process.start()
        yield PanelB(process, info["key"], info["user"], info["offers"])
    finally:
        process.stop()
        process.drop_database()


@pytest.fixture
def provider_b(panel_b, sandbox):
    """Panel A's side: a 10% global markup and panel B as its provider, synced."""
    MarkupRule.objects.create(percent=A_MARKUP)
    provider = Provider.objects.create(name="Panel B", api_url=panel_b.api_url, api_key=panel_b.key)
    sync_provider(provider)
    return provider


def sandbox_costs(sandbox) -> dict[str, Decimal]:
    """The sandbox's rate per service id, parsed from the answer's text (never via float)."""
    data = urllib.parse.urlencode({"key": sandbox.key, "action": "services"}).encode()
    with urllib.request.urlopen(sandbox.api_url, data=data, timeout=30) as response:  # noqa: S310
        services = json.loads(response.read(), parse_float=Decimal)
    return {str(s["service"]): Decimal(str(s["rate"])) for s in services}


def money(text: str) -> Decimal:
    return Decimal(text)


def test_a_prices_b_services_with_both_markups_rounded_up_once_each(provider_b, panel_b, sandbox):
    costs = sandbox_costs(sandbox)
    upstream = {row.upstream_id: row for row in UpstreamService.objects.filter(provider=provider_b)}
    services = dict(
        ServiceOffer.objects.values_list("upstream_service__upstream_id", "service__rate")
    )
    # Every sandbox service went through both panels.
    assert len(costs) == len(panel_b.offers) == len(upstream) == len(services)
    rounded = 0
    for b_id, sandbox_id in panel_b.offers.items():
        cost = costs[sandbox_id]
        rate_b = ceil4(cost * (1 + B_MARKUP / 100))
        rate_a = ceil4(rate_b * (1 + A_MARKUP / 100))
        assert upstream[b_id].rate == rate_b, (b_id, sandbox_id, cost)
        assert services[b_id] == rate_a, (b_id, sandbox_id, cost)
        rounded += rate_b != cost * (1 + B_MARKUP / 100) or rate_a != rate_b * (1 + A_MARKUP / 100)
    assert rounded > 100  # the rounding up is exercised, not only exact products


def test_orders_complete_and_partial_through_both_panels(
    provider_b, panel_b, sandbox, carol_with_1000
):
    service = (
        Service.objects.filter(type="Default", available=True, min__lte=QUANTITY, max__gte=QUANTITY)
        .order_by("id")
        .first()
    )
    assert service is not None
    b_service = service.service_offers.get().upstream_service  # B's service, as A synced it
    tag = uuid.uuid4().hex[:12]
    links = {name: f"https://instagram.com/chain_{tag}_{name}" for name in ("done", "partial")}
    orders = {
        name: place_order(
            user=carol_with_1000,
            service_id=service.pk,
            fields={"link": link, "quantity": str(QUANTITY)},
        )
        for name, link in links.items()
    }

    # A sends each order to B; B answers with its own order id at once.
    for order in orders.values():
        assert forward(order.pk) == OrderStatus.IN_PROGRESS
        order.refresh_from_db()
        assert order.provider_id == provider_b.pk
    b_ids = {name: order.upstream_order_id for name, order in orders.items()}

    # B's worker sends them to the sandbox.
    def at_sandbox() -> dict[str, int] | None:
        by_link = {o["fields"].get("link"): o["id"] for o in sandbox.orders()}
        found = {name: by_link.get(link) for name, link in links.items()}
        return found if all(found.values()) else None

    sandbox_ids = wait_until(
        at_sandbox, timeout=WAIT, what="B forwarded both orders", interval=0.2, details=panel_b.logs
    )

    def b_in_progress() -> bool:
        answer = panel_b.api("status", orders=",".join(b_ids.values()))
        return all(answer[i]["status"] == "In progress" for i in b_ids.values())

    wait_until(
        b_in_progress, timeout=WAIT, what="B recorded the sandbox's order ids", interval=0.2,
        details=panel_b.logs,
    )  # fmt: skip
    accepted = {o["id"]: o for o in sandbox.orders()}
    for name, sandbox_id in sandbox_ids.items():
        sent = accepted[sandbox_id]["fields"]
        assert (sent["service"], sent["link"], sent["quantity"]) == (
            panel_b.offers[b_service.upstream_id],
            links[name],
            str(QUANTITY),
        )

    sandbox.set_outcome(sandbox_ids["done"], "Completed")
    sandbox.set_outcome(sandbox_ids["partial"], "Partial")
    sandbox.advance(3600)  # both are over at the sandbox
    remains = int(str(sandbox.api("status", order=sandbox_ids["partial"])["remains"]))
    assert 0 < remains < QUANTITY

    # A asks before B polled: B still says In progress, so A settles nothing.
    first = poll_orders(provider_id=provider_b.pk)
    assert (first.checked, dict(first.settled), first.errors) == (2, {}, 0)
    assert {o.status for o in Order.objects.all()} == {OrderStatus.IN_PROGRESS}

    # B polls the sandbox and settles; then A sees the final statuses.
    assert panel_b.poll()["settled"] == {OrderStatus.COMPLETED: 1, OrderStatus.PARTIAL: 1}
    later = timezone.now() + timedelta(minutes=1)  # past A's recheck interval
    second = poll_orders(provider_id=provider_b.pk, now=later)
    assert dict(second.settled) == {OrderStatus.COMPLETED: 1, OrderStatus.PARTIAL: 1}
    assert second.errors == 0

    # Panel B: its customer (panel A) was charged rate_B per 1000 and refunded rate_B × remains.
    rate_b = b_service.rate  # B's selling rate, as B's `services` listed it
    rate_a = service.rate
    charge_b = rate_b * QUANTITY / 1000
    refund_b = rate_b * remains / 1000
    b = panel_b.ledger()
    assert b["unbalanced"] == []
    b_orders = b["orders"]
    assert {i: b_orders[i]["status"] for i in b_ids.values()} == {
        b_ids["done"]: OrderStatus.COMPLETED,
        b_ids["partial"]: OrderStatus.PARTIAL,
    }
    assert b_orders[b_ids["partial"]]["remains"] == remains
    assert money(b_orders[b_ids["done"]]["refunded"]) == 0
    assert money(b_orders[b_ids["partial"]]["refunded"]) == refund_b
    for name in ("done", "partial"):  # B's cost: what the sandbox charged, refund or not
        assert money(b_orders[b_ids[name]]["cost"]) == money(accepted[sandbox_ids[name]]["charge"])
    b_entries = [(kind, money(amount), str(order)) for kind, amount, order in b["entries"]]
    assert b_entries[-3:] == [
        ("charge", -charge_b, b_ids["done"]),
        ("charge", -charge_b, b_ids["partial"]),
        ("refund", refund_b, b_ids["partial"]),
    ]
    b_balance = money(b["balance"])
    assert b_balance == B_FUNDS - 2 * charge_b + refund_b
    assert money(panel_b.api("balance")["balance"]) == b_balance
    status_b = panel_b.api("status", order=b_ids["partial"])
    assert (status_b["status"], status_b["remains"]) == ("Partial", str(remains))

    # Panel A: its customer was charged rate_A per 1000 and refunded rate_A × remains.
    done, partial = (Order.objects.get(pk=orders[name].pk) for name in ("done", "partial"))
    charge_a = rate_a * QUANTITY / 1000
    refund_a = rate_a * remains / 1000
    assert (done.status, done.refunded, done.remains) == (OrderStatus.COMPLETED, 0, 0)
    assert (partial.status, partial.remains) == (OrderStatus.PARTIAL, remains)
    assert partial.refunded == refund_a
    assert LedgerEntry.objects.get(order=partial, kind=LedgerKind.REFUND).amount == refund_a
    assert not LedgerEntry.objects.filter(order=done, kind=LedgerKind.REFUND).exists()
    carol_with_1000.refresh_from_db()
    assert carol_with_1000.balance == A_FUNDS - 2 * charge_a + refund_a
    # A's cost is what B kept: its charge less its refund.
    assert done.cost == charge_b
    assert partial.cost == charge_b - refund_b
