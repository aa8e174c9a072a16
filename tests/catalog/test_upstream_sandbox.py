"""The API v2 client against the sandbox provider over HTTP: every action, every fault."""

from decimal import Decimal

import pytest

from catalog.upstream import Balance, ItemError, Outcome, UpstreamClient, UpstreamError

LINK = "https://instagram.com/alice"


@pytest.fixture
def client(sandbox):
    client = UpstreamClient(
        sandbox.api_url, sandbox.key, connect_timeout=1, read_timeout=1, deadline=2
    )
    yield client
    client.close()


@pytest.fixture
def restore_balance(sandbox):
    """reset() keeps the provider's balance: put it back for the other tests."""
    before = sandbox.api("balance")["balance"]
    yield
    sandbox.set_balance(before)


@pytest.fixture
def sandbox_offer(client):
    """A Default service that can be refilled and canceled."""
    return next(
        s for s in client.services() if s.type == "Default" and s.refill and s.cancel and s.min
    )


def place(client, service) -> str:
    return client.add(service=service.upstream_id, link=LINK, quantity=str(service.min))


def fail(call, *args, **kwargs) -> UpstreamError:
    with pytest.raises(UpstreamError) as info:
        call(*args, **kwargs)
    return info.value


# --- every action ---------------------------------------------------------------------------


def test_services_parses_the_whole_catalogue(sandbox, client):
    raw = sandbox.api("services")
    services = client.services()
    assert len(services) == len(raw) == 2000
    assert len({s.type for s in services}) == 16
    by_id = {s.upstream_id: s for s in services}
    for row in raw:
        assert by_id[str(row["service"])].rate == Decimal(str(row["rate"]))
        assert by_id[str(row["service"])].max == int(row["max"])


def test_add_places_exactly_one_order(sandbox, client, sandbox_offer):
    order = place(client, sandbox_offer)
    (accepted,) = sandbox.orders()
    assert str(accepted["id"]) == order
    assert accepted["fields"]["link"] == LINK
    assert "key" not in accepted["fields"]


def test_add_refused_by_the_sandbox_is_rejected(sandbox, client):
    error = fail(client.add, service="999999", link=LINK, quantity="100")
    assert (error.outcome, error.message) == (Outcome.REJECTED, "Incorrect service ID")
    assert sandbox.orders() == []


def test_a_wrong_key_is_rejected(sandbox):
    client = UpstreamClient(sandbox.api_url, "wrong-key-123", read_timeout=1, deadline=2)
    error = fail(client.balance)
    assert (error.outcome, error.message) == (Outcome.REJECTED, "Invalid API key")


def test_status_single_and_bulk(sandbox, client, sandbox_offer):
    order = place(client, sandbox_offer)
    pending = client.status(order)
    assert pending.status == "Pending"
    assert pending.charge == Decimal(sandbox.orders()[0]["charge"])
    assert pending.remains == sandbox_offer.min and pending.currency == "USD"
    sandbox.set_outcome(int(order), "Completed")
    sandbox.advance(10 * 24 * 3600)
    result = client.statuses([order, "999999"])
    assert result[order].status == "Completed" and result[order].remains == 0
    assert result["999999"] == ItemError("Incorrect order ID")


def test_status_of_an_unknown_order_is_rejected(client):
    error = fail(client.status, "999999")
    assert (error.outcome, error.message) == (Outcome.REJECTED, "Incorrect order ID")


def test_status_keeps_raw_remains_as_overridden(sandbox, client, sandbox_offer):
    order = place(client, sandbox_offer)
    sandbox.override(int(order), remains="-20", charge="abc", status="Partial")
    status = client.status(order)
    assert (status.status, status.remains, status.charge) == ("Partial", -20, None)


def test_refill_single_and_bulk_and_their_status(sandbox, client, sandbox_offer):
    first, second = place(client, sandbox_offer), place(client, sandbox_offer)
    for order in (first, second):
        sandbox.set_outcome(int(order), "Completed")
    sandbox.advance(10 * 24 * 3600)
    refill = client.refill(first)
    assert refill.isdigit()
    assert client.refill_status(refill) in ("Pending", "In progress", "Completed", "Rejected")
    result = client.refills([second, "999999"])
    assert result[second].isdigit()
    assert result["999999"] == ItemError("Incorrect order ID")
    statuses = client.refill_statuses([refill, result[second], "999999"])
    assert isinstance(statuses[refill], str) and isinstance(statuses[result[second]], str)
    assert statuses["999999"] == ItemError("Refill not found")


def test_refill_of_an_unfinished_order_is_rejected(client, sandbox_offer):
    order = place(client, sandbox_offer)
    error = fail(client.refill, order)
    assert (error.outcome, error.message) == (Outcome.REJECTED, "Order not eligible for refill")


def test_refill_status_of_an_unknown_refill_is_rejected(client):
    assert fail(client.refill_status, "999999").outcome is Outcome.REJECTED


def test_cancel_in_bulk(client, sandbox_offer):
    order = place(client, sandbox_offer)
    result = client.cancel([order, "999999"])
    assert result == {order: None, "999999": ItemError("Incorrect order ID")}
    assert client.status(order).status in ("Canceled", "Cancelled", "Partial")


def test_balance(sandbox, client, restore_balance):
    sandbox.set_balance("12.34567")
    assert client.balance() == Balance(Decimal("12.34567"), "USD")


# --- every fault ----------------------------------------------------------------------------


def test_error_rate_is_rejected_and_creates_nothing(sandbox, client, sandbox_offer):
    sandbox.set_faults(error_rate=1.0, actions=["add"])
    error = fail(place, client, sandbox_offer)
    assert error.outcome is Outcome.REJECTED and error.message
    assert sandbox.orders() == []


def test_funds_is_rejected(sandbox, client, sandbox_offer):
    sandbox.set_faults(funds=True)
    error = fail(place, client, sandbox_offer)
    assert (error.outcome, error.message) == (Outcome.REJECTED, "Not enough funds on balance")
    assert sandbox.orders() == []


def test_an_empty_upstream_balance_is_rejected(sandbox, client, sandbox_offer, restore_balance):
    sandbox.set_balance("0")
    error = fail(place, client, sandbox_offer)
    assert (error.outcome, error.message) == (Outcome.REJECTED, "Not enough funds on balance")


def test_reset_after_add_is_unknown_and_the_order_exists(sandbox, client, sandbox_offer):
    sandbox.set_faults(reset_after_rate=1.0, actions=["add"])
    error = fail(place, client, sandbox_offer)
    assert error.outcome is Outcome.UNKNOWN
    assert len(sandbox.orders()) == 1


def test_drop_is_unknown_and_nothing_was_processed(sandbox, client, sandbox_offer):
    # From the outside a hang-up before processing looks like one after: still UNKNOWN.
    sandbox.set_faults(drop_rate=1.0, actions=["add"])
    error = fail(place, client, sandbox_offer)
    assert error.outcome is Outcome.UNKNOWN
    assert sandbox.orders() == []


@pytest.mark.parametrize(
    "fault, words",
    [
        ("html_rate", "HTML page, HTTP 502"),
        ("status_500_rate", "HTTP 500"),
        ("empty_rate", "empty answer"),
        ("garbage_rate", "not JSON"),
    ],
)
def test_broken_answers_are_unknown_and_the_order_exists(
    sandbox, client, sandbox_offer, fault, words
):
    for seed in range(4):  # each fault has variants; a few seeds meet them
        sandbox.set_faults(**{fault: 1.0}, actions=["add"], seed=seed)
        error = fail(place, client, sandbox_offer)
        assert error.outcome is Outcome.UNKNOWN
        assert words in error.message
    assert len(sandbox.orders()) == 4


def test_broken_answers_to_reads_are_unknown(sandbox, client):
    sandbox.set_faults(garbage_rate=1.0, actions=["services"], seed=1)
    assert fail(client.services).outcome is Outcome.UNKNOWN
    sandbox.set_faults(html_rate=1.0, actions=["balance"])
    assert fail(client.balance).outcome is Outcome.UNKNOWN


def test_blackhole_is_unknown_and_the_order_exists(sandbox, client, sandbox_offer):
    sandbox.set_faults(blackhole_rate=1.0, blackhole_seconds=5, actions=["add"])
    error = fail(place, client, sandbox_offer)
    assert error.outcome is Outcome.UNKNOWN
    assert "read timeout" in error.message
    assert len(sandbox.orders()) == 1


@pytest.mark.parametrize("action", ["balance", "services", "add"])
def test_a_drip_is_cut_at_the_deadline(sandbox, sandbox_offer, action):
    client = UpstreamClient(sandbox.api_url, sandbox.key, read_timeout=1, deadline=0.5)
    sandbox.set_faults(drip_seconds=20)
    call = {
        "balance": client.balance,
        "services": client.services,
        "add": lambda: place(client, sandbox_offer),
    }[action]
    error = fail(call)
    assert error.outcome is Outcome.UNKNOWN
    assert "deadline of 0.5s passed" in error.message


@pytest.mark.slow
def test_a_stopped_sandbox_was_not_sent(sandbox, client, sandbox_offer):
    with sandbox.down():
        error = fail(place, client, sandbox_offer)
        assert error.outcome is Outcome.NOT_SENT
    assert sandbox.orders() == []
    assert place(client, sandbox_offer)  # and the provider answers again afterwards


def test_faults_on_other_actions_leave_add_alone(sandbox, client, sandbox_offer):
    sandbox.set_faults(error_rate=1.0, actions=["status"])
    order = place(client, sandbox_offer)
    assert fail(client.status, order).outcome is Outcome.REJECTED
