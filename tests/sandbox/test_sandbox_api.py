"""The sandbox's API v2: every action, single and bulk, with the exact shapes and texts."""

import json
from decimal import Decimal

import pytest
import requests

LINK = "https://instagram.com/alice"


def place(api, service, quantity=None, **fields):
    quantity = quantity if quantity is not None else int(service["min"])
    answer = api("add", service=service["service"], link=LINK, quantity=quantity, **fields)
    assert set(answer) == {"order"}, answer
    return answer["order"]


def test_it_rejects_a_wrong_or_missing_key(sb):
    for data in ({"key": "nope", "action": "balance"}, {"action": "balance"}):
        assert requests.post(sb.api_url, data=data).json() == {"error": "Invalid API key"}


@pytest.mark.parametrize("action", ["", "nope", "Balance"])
def test_it_answers_incorrect_request_to_unknown_actions(api, action):
    assert api(action) == {"error": "Incorrect request"}


def test_it_answers_balance_as_a_string_in_usd(api):
    assert api("balance") == {"balance": "1000.00000", "currency": "USD"}


def test_it_reads_fields_from_every_transport(sb):
    """Form body, multipart, query string on a POST, GET, JSON, and the trailing slash."""
    fields = {"key": sb.key, "action": "balance"}
    multipart = {name: (None, value) for name, value in fields.items()}
    answers = [
        requests.post(sb.api_url, data=fields),
        requests.post(sb.api_url, files=multipart),
        requests.post(sb.api_url, params=fields),
        requests.get(sb.api_url, params=fields),
        requests.post(sb.api_url, json=fields),
        requests.post(sb.api_url + "/", data=fields),
    ]
    for response in answers:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["currency"] == "USD"


def test_it_keeps_the_connection_alive(sb):
    session = requests.Session()
    for _ in range(3):
        response = session.post(sb.api_url, data={"key": sb.key, "action": "balance"})
        assert int(response.headers["Content-Length"]) == len(response.content)
    assert len(session.adapters["http://"].poolmanager.pools) == 1


def test_add_answers_the_new_order_id_and_debits_the_charge(api, find):
    service = find("Default")
    quantity = int(service["min"]) * 3
    order_id = place(api, service, quantity)
    charge = Decimal(str(service["rate"])) * quantity / 1000
    balance = Decimal(api("balance")["balance"])
    assert isinstance(order_id, int)
    assert Decimal("1000") - balance == charge.quantize(Decimal("0.00001"), rounding="ROUND_UP")


def test_add_refuses_what_the_balance_cannot_pay(sb, api, find):
    service = find("Default")
    sb.set_balance("0.00001")
    answer = api("add", service=service["service"], link=LINK, quantity=service["max"])
    assert answer == {"error": "Not enough funds on balance"}
    assert sb.orders() == []
    assert api("balance")["balance"] == "0.00001"


def test_add_checks_service_link_and_quantity_bounds(api, find):
    service = find("Default")
    low, high = int(service["min"]), int(service["max"])
    sid = service["service"]
    assert api("add", service=999999, link=LINK, quantity=low) == {"error": "Incorrect service ID"}
    assert api("add", service="x", link=LINK, quantity=low) == {"error": "Incorrect service ID"}
    assert api("add", service=sid, link="not a link", quantity=low) == {"error": "Incorrect link"}
    assert api("add", service=sid, quantity=low) == {"error": "Incorrect link"}
    assert api("add", service=sid, link=LINK, quantity=low - 1) == {
        "error": f"Quantity less than minimal {low}"
    }
    assert api("add", service=sid, link=LINK, quantity=high + 1) == {
        "error": f"Quantity more than maximum {high}"
    }
    assert api("add", service=sid, link=LINK, quantity="ten") == {"error": "Incorrect quantity"}


def test_status_of_one_order_has_the_documented_shape(api, find):
    order_id = place(api, find("Default"))
    answer = api("status", order=order_id)
    assert set(answer) == {"charge", "start_count", "status", "remains", "currency"}
    assert answer["status"] == "Pending"
    assert answer["currency"] == "USD"
    assert isinstance(answer["charge"], str)
    assert api("status", order=1) == {"error": "Incorrect order ID"}
    assert api("status") == {"error": "Incorrect order ID"}


def test_status_of_many_orders_is_keyed_by_id_with_per_id_errors(api, find):
    first = place(api, find("Default"))
    second = place(api, find("Default"))
    answer = api("status", orders=f"{first}, {second},5,abc")
    assert list(answer) == [str(first), str(second), "5", "abc"]
    assert answer[str(first)]["status"] == "Pending"
    assert answer["5"] == {"error": "Incorrect order ID"}
    assert answer["abc"] == {"error": "Incorrect order ID"}


def test_status_takes_at_most_100_ids(api):
    assert api("status", orders=",".join(map(str, range(1, 102)))) == {"error": "Incorrect request"}
    assert len(api("status", orders=",".join(map(str, range(1, 101))))) == 100


def test_refill_and_refill_status_single_and_bulk(sb, api, find):
    service = find("Default", refill=True)
    done = place(api, service)
    sb.set_outcome(done, "Completed")
    sb.advance(2 * 3600)
    fresh_after = place(api, service)  # placed after the jump: still Pending

    refill = api("refill", order=done)
    assert set(refill) == {"refill"} and isinstance(refill["refill"], str)
    assert api("refill", order=fresh_after) == {"error": "Order not eligible for refill"}
    assert api("refill", order=1) == {"error": "Incorrect order ID"}
    assert api("refill_status", refill=refill["refill"]) == {"status": "Pending"}
    assert api("refill_status", refill=999999) == {"error": "Incorrect refill ID"}

    bulk = api("refill", orders=f"{fresh_after},1")
    assert bulk == [
        {"order": fresh_after, "refill": {"error": "Order not eligible for refill"}},
        {"order": 1, "refill": {"error": "Incorrect order ID"}},
    ]
    statuses = api("refill_status", refills=f"{refill['refill']},999999")
    assert statuses == [
        {"refill": int(refill["refill"]), "status": "Pending"},
        {"refill": 999999, "status": {"error": "Refill not found"}},
    ]


def test_refill_progresses_to_completed_or_rejected(sb, api, find):
    service = find("Default", refill=True)
    order_id = place(api, service)
    sb.set_outcome(order_id, "Completed")
    sb.advance(3600)
    refill_id = api("refill", order=order_id)["refill"]
    assert api("refill", order=order_id) == {"error": "Order not eligible for refill"}
    seen = [api("refill_status", refill=refill_id)["status"]]
    for _ in range(20):
        sb.advance(60)
        seen.append(api("refill_status", refill=refill_id)["status"])
    assert seen[0] == "Pending"
    assert "In progress" in seen
    assert seen[-1] in ("Completed", "Rejected")


def test_refill_needs_a_refill_service(sb, api, find):
    order_id = place(api, find("Default", refill=False))
    sb.set_outcome(order_id, "Completed")
    sb.advance(3600)
    assert api("refill", order=order_id) == {"error": "Order not eligible for refill"}


def test_cancel_bulk_and_single(sb, api, find):
    cancelable = place(api, find("Default", cancel=True))
    other = place(api, find("Default", cancel=False))
    answer = api("cancel", orders=f"{cancelable},{other},7")
    assert answer == [
        {"order": cancelable, "cancel": 1},
        {"order": other, "cancel": {"error": "Order not eligible for cancel"}},
        {"order": 7, "cancel": {"error": "Incorrect order ID"}},
    ]
    status = api("status", order=cancelable)
    assert status["status"] == "Canceled"
    assert int(status["remains"]) == int(sb.order(cancelable)["quantity"])
    assert api("cancel", order=cancelable) == {"error": "Order not eligible for cancel"}
    assert api("cancel", order=place(api, find("Default", cancel=True))) == {"cancel": 1}


def test_cancel_after_some_delivery_ends_partial(sb, api, find):
    service = find("Default", cancel=True)
    order_id = place(api, service, int(service["max"]))
    sb.set_outcome(order_id, "Completed")
    sb.advance(250)  # started (after at most 80 s), not finished (at least 300 s)
    assert api("status", order=order_id)["status"] in ("In progress", "Processing")
    assert api("cancel", orders=str(order_id)) == [{"order": order_id, "cancel": 1}]
    status = api("status", order=order_id)
    assert status["status"] == "Partial"
    assert 0 < int(status["remains"]) < int(service["max"])
    sb.advance(3600)
    assert api("status", order=order_id) == status  # frozen at the cancel


def test_bulk_actions_refuse_more_than_100_ids(api):
    many = ",".join(map(str, range(1, 102)))
    for action, field in (("refill", "orders"), ("refill_status", "refills"), ("cancel", "orders")):
        assert api(action, **{field: many}) == {"error": "Incorrect request"}


def test_answers_are_compact_json(sb):
    response = requests.post(sb.api_url, data={"key": sb.key, "action": "balance"})
    assert response.content == json.dumps(response.json(), separators=(",", ":")).encode()
