"""Orders over simulated time, drip-feeds, subscriptions, overrides and bulk seeding."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

LINK = "https://tiktok.com/@alice/video/1"
FINISHED = {"Completed", "Partial", "Canceled"}


def place(api, service, quantity=None, **fields):
    quantity = quantity if quantity is not None else int(service["min"])
    return api("add", service=service["service"], link=LINK, quantity=quantity, **fields)["order"]


def test_an_order_goes_pending_in_progress_then_finishes(sb, api, find):
    service = find("Default")
    quantity = max(int(service["min"]), 1000)
    if quantity > int(service["max"]):
        pytest.skip("service too small")
    order_id = place(api, service, quantity)
    sb.set_outcome(order_id, "Completed")
    seen = []
    for _ in range(40):  # 40 simulated minutes: more than the longest order
        seen.append(api("status", order=order_id))
        sb.advance(60)
    statuses = [answer["status"] for answer in seen]
    remains = [int(answer["remains"]) for answer in seen]
    assert statuses[0] == "Pending" and remains[0] == quantity
    assert "In progress" in statuses
    assert statuses[-1] == "Completed" and remains[-1] == 0
    assert remains == sorted(remains, reverse=True)
    assert len({answer["start_count"] for answer in seen if answer["status"] != "Pending"}) == 1


def test_outcomes_are_mostly_completed_some_partial_some_canceled(sb, api):
    seeded = sb.seed_orders(300, quantity=1000)
    sb.advance(3600)
    ids = list(range(seeded["first"], seeded["last"] + 1))
    answers = {}
    for start in range(0, len(ids), 100):
        answers.update(api("status", orders=",".join(map(str, ids[start : start + 100]))))
    outcomes = Counter(answer["status"] for answer in answers.values())
    assert set(outcomes) == FINISHED
    assert outcomes["Completed"] > 150
    for answer in answers.values():
        remains = int(answer["remains"])
        expected = {"Completed": remains == 0, "Canceled": remains == 1000}
        assert expected.get(answer["status"], 0 < remains < 1000)


def test_speed_makes_simulated_time_run_faster(sb):
    before = sb.control("GET", "/control/clock")
    sb.set_speed(60)
    try:
        after = sb.control("GET", "/control/clock")
        assert after["speed"] == 60
        assert after["now"] >= before["now"]
    finally:
        sb.set_speed(1.0)


def test_a_dripfeed_lists_its_runs_as_they_start(sb, api, find):
    service = find("Default", dripfeed=True)
    quantity = int(service["min"])
    order_id = place(api, service, quantity, runs=3, interval=10)
    sb.set_outcome(order_id, "Completed")  # a feed may be drawn Canceled and stop early
    first = api("status", order=order_id)
    assert first["runs"] == "1" and len(first["orders"]) == 1
    assert int(first["remains"]) == quantity * 3
    child = first["orders"][0]
    assert set(api("status", order=child)) == {
        "charge",
        "start_count",
        "status",
        "remains",
        "currency",
    }
    sb.advance(25 * 60)
    middle = api("status", order=order_id)
    assert middle["runs"] == "3" and len(middle["orders"]) == 3
    sb.advance(3600)
    last = api("status", order=order_id)
    assert last["status"] == "Completed" and last["remains"] == "0"
    runs = api("status", orders=",".join(map(str, last["orders"])))
    delivered = sum(quantity - int(run["remains"]) for run in runs.values())
    assert int(last["remains"]) == quantity * 3 - delivered


def test_future_runs_are_unknown_until_they_start(sb, api, find):
    service = find("Default", dripfeed=True)
    order_id = place(api, service, runs=2, interval=60)
    sb.set_outcome(order_id, "Completed")
    future = order_id + 2  # runs get the ids right after their order
    assert api("status", order=future) == {"error": "Incorrect order ID"}
    sb.advance(3600)
    assert "status" in api("status", order=future)


def test_a_subscription_is_active_then_completed(sb, api, find):
    service = find("Subscriptions")
    low = int(service["min"])
    order_id = api(
        "add", service=service["service"], username="alice", min=low, max=low * 2, posts=2
    )["order"]
    first = api("status", order=order_id)
    assert set(first) == {"charge", "status", "posts", "orders", "currency"}
    assert first["status"] == "Active" and first["posts"] == "0" and first["orders"] == []
    sb.advance(6 * 3600)
    done = api("status", order=order_id)
    assert done["status"] == "Completed" and done["posts"] == "2" and len(done["orders"]) == 2


def test_a_dripfeed_can_be_forced_to_end_partial_or_canceled(sb, api, find):
    service = find("Default", dripfeed=True)
    partial = place(api, service, runs=2, interval=5)
    canceled = place(api, service, runs=2, interval=5)
    sb.set_outcome(partial, "Partial")
    sb.set_outcome(canceled, "Canceled")
    sb.advance(3600)
    answers = api("status", orders=f"{partial},{canceled}")
    assert answers[str(partial)]["status"] == "Partial"
    assert answers[str(canceled)]["status"] == "Canceled"
    assert answers[str(canceled)]["remains"] == str(int(service["min"]) * 2)


def test_a_subscription_expires(sb, api, find):
    service = find("Subscriptions")
    low = int(service["min"])
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%d/%m/%Y")
    order_id = api(
        "add",
        service=service["service"],
        username="alice",
        min=low,
        max=low,
        posts=100,
        expiry=tomorrow,
    )["order"]
    sb.advance(3 * 24 * 3600)
    answer = api("status", order=order_id)
    assert answer["status"] == "Expired"
    assert 0 < int(answer["posts"]) < 100


def test_overrides_report_raw_values_until_cleared(sb, api, find):
    order_id = place(api, find("Default"))
    sb.override(order_id, status="Cancelled", remains="-5", start_count="n/a", charge="abc")
    answer = api("status", order=order_id)
    assert answer["status"] == "Cancelled"
    assert answer["remains"] == "-5"
    assert answer["start_count"] == "n/a"
    assert answer["charge"] == "abc"
    sb.override(order_id, remains=None)  # one field back to the truth
    assert api("status", order=order_id)["remains"] != "-5"
    sb.override(order_id, error="Incorrect order ID")
    assert api("status", orders=str(order_id)) == {str(order_id): {"error": "Incorrect order ID"}}
    sb.override(order_id)  # no fields: clear
    assert api("status", order=order_id)["status"] == "Pending"


def test_overrides_can_hold_numbers_larger_than_the_quantity(sb, api, find):
    service = find("Default")
    order_id = place(api, service)
    sb.override(order_id, remains=int(service["max"]) * 10, status="Partial")
    answer = api("status", order=order_id)
    assert answer["remains"] == int(service["max"]) * 10 and answer["status"] == "Partial"


def test_seeded_orders_are_pollable_but_not_accepted_adds(sb, api):
    seeded = sb.seed_orders(100_000, quantity=500)
    assert seeded["last"] - seeded["first"] == 99_999
    ids = ",".join(str(seeded["last"] - i) for i in range(100))
    answer = api("status", orders=ids)
    assert len(answer) == 100
    assert all(value["status"] == "Pending" for value in answer.values())
    assert sb.orders() == []
    assert api("balance")["balance"] == "1000.00000"


def test_control_orders_records_every_accepted_add(sb, api, find):
    service = find("Default")
    first = place(api, service)
    second = place(api, service)
    api("add", service=service["service"], link="bad link", quantity=service["min"])
    recorded = sb.orders()
    assert [row["id"] for row in recorded] == [first, second]
    assert set(recorded[0]) == {"id", "service", "fields", "charge", "created", "sim_created"}
    assert "key" not in recorded[0]["fields"]
    assert [row["id"] for row in sb.orders(after=first)] == [second]


def test_reset_forgets_orders_but_ids_keep_growing(sb, api, find):
    service = find("Default")
    before = place(api, service)
    sb.reset()
    assert sb.orders() == []
    assert api("status", order=before) == {"error": "Incorrect order ID"}
    assert place(api, service) > before


def test_advance_and_unknown_control_input_are_checked(sb):
    with pytest.raises(Exception, match="400"):
        sb.control("POST", "/control/clock", {"advance": -1})
    with pytest.raises(Exception, match="404"):
        sb.override(1, status="Completed")
    with pytest.raises(Exception, match="404"):
        sb.control("GET", "/control/nothing")
    assert sb.control("GET", "/control/health") == {"ok": True}
