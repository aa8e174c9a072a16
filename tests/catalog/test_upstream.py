"""The API v2 client against a canned server over real HTTP: wire variants and faults."""

import logging
import pickle
import shutil
from decimal import Decimal

import pytest

from catalog import upstream
from catalog.upstream import (
    Balance,
    ItemError,
    OrderStatus,
    Outcome,
    ServiceInfo,
    UpstreamClient,
    UpstreamError,
)
from harness.processes import refused_port
from tests.catalog.upstream_fakes import (
    CannedServer,
    FullBacklog,
    self_signed_certificate,
)

KEY = "k3y-5ecret-0123456789abcdef"

FOLLOWERS = {
    "service": 1,
    "name": "Followers",
    "type": "Default",
    "category": "First Category",
    "rate": "0.90",
    "min": "50",
    "max": "10000",
    "desc": "Real-looking",
    "refill": True,
    "cancel": False,
    "dripfeed": True,
}


@pytest.fixture
def server():
    with CannedServer() as canned:
        yield canned


@pytest.fixture
def client(server):
    client = UpstreamClient(server.url, KEY, connect_timeout=1, read_timeout=1, deadline=2)
    yield client
    client.close()


def fail(call, *args, **kwargs) -> UpstreamError:
    with pytest.raises(UpstreamError) as info:
        call(*args, **kwargs)
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    return info.value


# --- the request ----------------------------------------------------------------------------


def test_it_posts_the_key_action_and_fields_form_encoded(server, client):
    server.reply({"order": 23501})
    client.add(service="1", link="https://x.test/p?a=1&b=2", quantity=100)
    sent = server.requests[0]
    assert sent.method == "POST"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.fields == {
        "key": KEY,
        "action": "add",
        "service": "1",
        "link": "https://x.test/p?a=1&b=2",
        "quantity": "100",
    }


def test_it_refuses_a_key_field(client):
    with pytest.raises(ValueError):
        client.call("balance", key="other")


def test_it_drops_fields_that_are_none(server, client):
    server.reply({"order": 1})
    client.add(service="1", link="x", quantity="10", runs=None)
    assert "runs" not in server.requests[0].fields


def test_it_sends_every_add_on_a_fresh_connection(server, client):
    server.reply({"order": 1})
    server.reply({"order": 2})
    client.add(service="1", link="x", quantity="10")
    client.add(service="1", link="x", quantity="10")
    first, second = server.requests
    assert first.port != second.port
    assert first.headers["connection"] == "close"


def test_it_reuses_a_pooled_connection_for_reads(server, client):
    server.reply({"balance": "1", "currency": "USD"})
    server.reply({"balance": "2", "currency": "USD"})
    client.balance()
    client.balance()
    first, second = server.requests
    assert first.port == second.port


def test_it_does_not_follow_redirects(server, client):
    server.fault("redirect", status=307)
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert "HTTP 307" in error.message
    assert len(server.requests) == 1


# --- services -------------------------------------------------------------------------------


def test_it_parses_a_service(server, client):
    server.reply([FOLLOWERS])
    assert client.services() == [
        ServiceInfo(
            upstream_id="1",
            name="Followers",
            type="Default",
            category="First Category",
            rate=Decimal("0.90"),
            min=50,
            max=10000,
            refill=True,
            cancel=False,
            dripfeed=True,
            description="Real-looking",
        )
    ]


@pytest.mark.parametrize(
    "wire, expected",
    [
        ('"0.1"', "0.1"),
        ("0.1", "0.1"),
        ("1e-3", "0.001"),
        ('"1e-3"', "0.001"),
        ("0.27819", "0.27819"),
        ("3", "3"),
        ('" 0.90 "', "0.90"),
        ("0.1000000000000000055511151231257827", "0.1000000000000000055511151231257827"),
    ],
)
def test_it_parses_rates_exactly_without_float(server, client, wire, expected):
    server.reply(f'[{{"service": 1, "name": "n", "rate": {wire}, "min": 1, "max": 2}}]')
    (service,) = client.services()
    assert isinstance(service.rate, Decimal)
    assert service.rate == Decimal(expected)
    assert str(service.rate) == str(Decimal(expected))


@pytest.mark.parametrize(
    "wire, expected",
    [
        ("true", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ('"1"', True),
        ('"0"', False),
        ('"true"', True),
        ('"false"', False),
        ('"True"', True),
        ("null", False),
    ],
)
def test_it_accepts_every_boolean_spelling(server, client, wire, expected):
    row = f'"refill": {wire}, "cancel": {wire}, "dripfeed": {wire}'
    server.reply(f'[{{"service": "7", "name": "n", "rate": 1, "min": 1, "max": 2, {row}}}]')
    (service,) = client.services()
    assert (service.refill, service.cancel, service.dripfeed) == (expected,) * 3


def test_it_treats_missing_flags_and_desc_as_false_and_empty(server, client):
    server.reply([{"service": "12", "name": "n", "category": "c", "rate": 1, "min": 1, "max": 1}])
    (service,) = client.services()
    assert service.upstream_id == "12"
    assert (service.refill, service.cancel, service.dripfeed) == (False, False, False)
    assert service.description == ""
    assert service.type == "Default"


def test_it_accepts_numbers_as_strings_and_numbers(server, client):
    server.reply(
        '[{"service": 3, "name": "a", "rate": 0.5, "min": 10, "max": 20},'
        ' {"service": "4", "name": "b", "rate": "0.5", "min": "10", "max": "20.0"}]'
    )
    first, second = client.services()
    assert (first.upstream_id, first.rate, first.min, first.max) == ("3", Decimal("0.5"), 10, 20)
    assert (second.upstream_id, second.rate, second.min, second.max) == (
        "4",
        Decimal("0.5"),
        10,
        20,
    )


def test_it_reads_description_under_either_name(server, client):
    server.reply([{**FOLLOWERS, "desc": None, "description": "long"}])
    assert client.services()[0].description == "long"
    server.reply([{k: v for k, v in FOLLOWERS.items() if k != "desc"} | {"description": "long"}])
    assert client.services()[0].description == "long"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"rate": "abc"}, "services: item 1: rate 'abc' is not a number"),
        ({"rate": "NaN"}, "services: item 1: rate 'NaN' is not a number"),
        ({"rate": "Infinity"}, "services: item 1: rate 'Infinity' is not a number"),
        ({"rate": "1_000"}, "services: item 1: rate '1_000' is not a number"),
        ({"rate": None}, "services: item 1: rate is missing"),
        ({"rate": True}, "services: item 1: rate true is not a number"),
        ({"rate": "-0.5"}, "services: item 1: rate -0.5 is not positive"),
        ({"rate": "0"}, "services: item 1: rate 0 is not positive"),
        ({"rate": "1e999999999"}, "services: item 1: rate '1e999999999' is out of range"),
        ({"min": "-5"}, "services: item 1: negative min -5"),
        ({"min": "1.5"}, "services: item 1: min '1.5' is not an integer"),
        ({"min": "100", "max": "50"}, "services: item 1: max 50 is below min 100"),
        ({"max": None}, "services: item 1: max is missing"),
        ({"service": ""}, "services: item 1: service id is missing"),
        ({"service": None}, "services: item 1: service id is missing"),
        ({"service": 1}, "services: item 1: duplicate service id '1'"),
        ({"refill": "maybe"}, "services: item 1: refill 'maybe' is not a boolean"),
        ({"refill": 2}, "services: item 1: refill 2 is not a boolean"),
        ({"name": {"en": "x"}}, "services: item 1: name is an object, not text"),
    ],
)
def test_one_bad_row_is_skipped_with_its_reason(server, client, change, message):
    server.reply([FOLLOWERS, {**FOLLOWERS, "service": 2, **change}])
    services = client.services()
    assert [s.upstream_id for s in services] == ["1"]
    assert services.skipped == [message.removeprefix("services: ")]


def test_a_catalogue_of_only_bad_rows_is_unknown(server, client):
    server.reply([{**FOLLOWERS, "rate": "abc"}, [1, 2]])
    error = fail(client.services)
    assert error.outcome is Outcome.UNKNOWN
    assert error.message == (
        "services: every item is malformed (item 0: rate 'abc' is not a number, …)"
    )
    assert error.action == "services"


def test_it_names_a_row_that_is_not_an_object(server, client):
    server.reply([FOLLOWERS, [1, 2]])
    assert client.services().skipped == ["item 1: expected an object, got a list"]


def test_a_skipped_row_keeps_its_id_if_readable(server, client):
    server.reply([FOLLOWERS, {**FOLLOWERS, "service": 7, "rate": "x"}])
    assert client.services().skipped_ids == {"7"}


def test_control_characters_and_nul_are_stripped_from_texts(server, client):
    server.reply([{**FOLLOWERS, "name": "Fol\x00low\x1bers\ud800", "desc": "a\nb\tc\x7f"}])
    (service,) = client.services()
    assert (service.name, service.description) == ("Followers", "a\nb\tc")


def test_deeply_nested_json_is_unknown_not_a_recursion_error(server, client):
    server.reply(b"[" * 100_000 + b"]" * 100_000)
    error = fail(client.services)
    assert error.outcome is Outcome.UNKNOWN
    assert "nested deeper than" in error.message


def test_nesting_below_the_recursion_limit_is_refused_too(server, client):
    deep = b"[" * 40 + b"1" + b"]" * 40  # far below json's limit, far above any real answer
    server.reply(b'{"status": "Completed", "runs": ' + deep + b"}")
    assert "nested deeper than" in fail(client.status, "1").message


def test_it_rejects_a_catalogue_that_is_not_a_list(server, client):
    server.reply({"1": FOLLOWERS})
    error = fail(client.services)
    assert error.outcome is Outcome.UNKNOWN
    assert error.message == "services: expected a list, got an object"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_it_rejects_json_nan_and_infinity(server, client, literal):
    server.reply(f'[{{"service": 1, "name": "n", "rate": {literal}, "min": 1, "max": 2}}]')
    error = fail(client.services)
    assert error.outcome is Outcome.UNKNOWN
    assert "not JSON" in error.message


def test_it_reads_a_chunked_answer(server, client):
    server.fault("chunked", [{**FOLLOWERS, "service": i} for i in range(20)])
    assert [s.upstream_id for s in client.services()] == [str(i) for i in range(20)]


def test_it_accepts_a_utf8_bom(server, client):
    server.reply(b'\xef\xbb\xbf{"balance": "1.5", "currency": "EUR"}')
    assert client.balance() == Balance(Decimal("1.5"), "EUR")


# --- add ------------------------------------------------------------------------------------


@pytest.mark.parametrize("wire", ['{"order": 23501}', '{"order": "23501"}', '{"order": " 23501 "}'])
def test_add_returns_the_upstream_order_id_as_a_string(server, client, wire):
    server.reply(wire)
    assert client.add(service="1", link="x", quantity="100") == "23501"


@pytest.mark.parametrize("status", [200, 400, 402, 422])
def test_an_error_answer_is_a_definitive_rejection(server, client, status):
    server.reply({"error": "Not enough funds on balance"}, status=status)
    error = fail(client.add, service="1", link="x", quantity="100")
    assert error.outcome is Outcome.REJECTED
    assert error.message == "Not enough funds on balance"
    assert error.permanent and not error.safe_to_retry
    assert error.action == "add"


@pytest.mark.parametrize(
    "wire, message",
    [
        ("[]", "add: expected an object, got a list"),
        ('{"ok": 1}', "add: order id is missing"),
        ('{"order": null}', "add: order id is missing"),
        ('{"order": ""}', "add: order id is missing"),
        ('{"order": 1.5}', "add: order id 1.5 is not an integer"),
        ('{"order": {"id": 1}}', 'add: order id {"id": 1} is not an id'),
        ('"23501"', "add: expected an object, got a string"),
        ('{"order": 5, "error": "warning"}', "add: answer has both an error and an order id"),
    ],
)
def test_an_ill_shaped_add_answer_is_unknown(server, client, wire, message):
    server.reply(wire)
    error = fail(client.add, service="1", link="x", quantity="100")
    assert error.outcome is Outcome.UNKNOWN
    assert error.message == message


# --- HTTP-level garbage ---------------------------------------------------------------------


def test_an_html_502_is_unknown(server, client):
    server.reply("<html><body><h1>502 Bad Gateway</h1></body></html>", status=502)
    error = fail(client.status, "1")
    assert error.outcome is Outcome.UNKNOWN
    assert error.message == "status: answer is not JSON (HTML page, HTTP 502)"


def test_an_html_page_with_200_is_unknown(server, client):
    server.reply("<!DOCTYPE html><title>Just a moment...</title>", content_type="text/html")
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert error.message == "add: answer is not JSON (HTML page, HTTP 200)"


@pytest.mark.parametrize("body", [b"", b"  \r\n"])
def test_an_empty_answer_is_unknown(server, client, body):
    server.reply(body)
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert error.message == "add: empty answer (HTTP 200)"


def test_truncated_json_is_unknown(server, client):
    server.reply('{"order": 235')
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert error.message == "add: answer is not JSON (truncated or invalid JSON, HTTP 200)"


def test_a_body_shorter_than_announced_is_unknown(server, client):
    server.fault("truncate", '{"order": 23501}')
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert "could not read the answer" in error.message


def test_plain_text_is_unknown(server, client):
    server.reply("OK", content_type="text/plain")
    assert fail(client.balance).message == "balance: answer is not JSON (text 'OK', HTTP 200)"


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_is_unknown_even_with_an_error_answer(server, client, status):
    server.reply({"error": "Internal error"}, status=status)
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert error.message == f"add: HTTP {status}: Internal error"


def test_a_4xx_without_an_error_answer_is_unknown(server, client):
    server.reply("<h1>Not Found</h1>", status=404, content_type="text/html")
    error = fail(client.balance)
    assert error.outcome is Outcome.UNKNOWN
    assert error.message == "balance: answer is not JSON (HTML page, HTTP 404)"


def test_a_huge_answer_is_refused_before_reading_it(server, client):
    server.fault("huge")
    error = fail(client.services)
    assert error.outcome is Outcome.UNKNOWN
    assert "too large" in error.message


def test_an_answer_over_the_cap_is_unknown(server, client, monkeypatch):
    monkeypatch.setattr(upstream.client, "MAX_BODY", 1000)
    server.fault("chunked", [{**FOLLOWERS, "service": i} for i in range(100)])
    error = fail(client.services)
    assert error.outcome is Outcome.UNKNOWN
    assert error.message == "services: answer larger than 1000 bytes"


# --- transport faults -----------------------------------------------------------------------


@pytest.mark.slow  # waits for a timeout or a deadline
def test_no_answer_within_the_read_timeout_is_unknown(server, client):
    server.fault("hang")
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert "read timeout" in error.message
    assert len(server.requests) == 1


@pytest.mark.slow  # waits for a timeout or a deadline
def test_a_dripping_answer_is_cut_at_the_deadline(server):
    client = UpstreamClient(server.url, KEY, connect_timeout=1, read_timeout=1, deadline=0.5)
    server.fault("drip")
    error = fail(client.services)
    assert error.outcome is Outcome.UNKNOWN
    assert "deadline of 0.5s passed" in error.message


@pytest.mark.slow  # waits for a timeout or a deadline
def test_dripping_headers_are_cut_at_the_deadline(server):
    client = UpstreamClient(server.url, KEY, connect_timeout=1, read_timeout=1, deadline=0.5)
    server.fault("drip_headers")
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert "deadline of 0.5s passed" in error.message


def test_a_reset_after_the_request_was_read_is_unknown(server, client):
    server.fault("reset")
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert "connection lost after the request was sent" in error.message
    assert len(server.requests) == 1


def test_a_close_without_answer_is_unknown(server, client):
    server.fault("close")
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert "connection lost after the request was sent" in error.message


def test_a_refused_connection_was_not_sent():
    with refused_port() as port:
        client = UpstreamClient(f"http://127.0.0.1:{port}/api/v2", KEY, deadline=2)
        error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.NOT_SENT
    assert error.safe_to_retry and not error.permanent
    assert "could not connect" in error.message


@pytest.mark.slow  # waits for a timeout or a deadline
def test_a_connect_timeout_was_not_sent():
    with FullBacklog() as backlog:
        url = f"http://127.0.0.1:{backlog.port}/api/v2"
        client = UpstreamClient(url, KEY, connect_timeout=0.3, read_timeout=1, deadline=2)
        error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.NOT_SENT
    assert "connect timeout" in error.message


def test_an_unresolvable_host_was_not_sent():
    client = UpstreamClient("http://nonexistent.invalid/api/v2", KEY, deadline=2)
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.NOT_SENT
    assert "host name did not resolve" in error.message


def test_an_invalid_url_was_not_sent():
    error = fail(UpstreamClient("not a url", KEY).balance)
    assert error.outcome is Outcome.NOT_SENT


def test_a_failure_on_the_pooled_connection_does_not_poison_the_next_read(server, client):
    server.reply({"balance": "1", "currency": "USD"})
    server.fault("close")  # the next request on the pooled socket finds it closed
    client.balance()
    with pytest.raises(UpstreamError):
        client.balance()
    server.reply({"balance": "3", "currency": "USD"})
    assert client.balance().amount == Decimal(3)


# --- HTTPS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(certificate):
    with CannedServer(tls=certificate) as canned:
        yield canned


def test_https_works_with_a_trusted_certificate(tls_server, certificate, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    tls_server.reply({"balance": "5.5", "currency": "USD"})
    client = UpstreamClient(tls_server.url, KEY, read_timeout=1, deadline=2)
    assert client.balance() == Balance(Decimal("5.5"), "USD")


@pytest.mark.slow  # waits for a timeout or a deadline
def test_https_dripping_headers_are_cut_at_the_deadline(tls_server, certificate, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    tls_server.fault("drip_headers")
    client = UpstreamClient(tls_server.url, KEY, read_timeout=1, deadline=0.5)
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.UNKNOWN
    assert "deadline of 0.5s passed" in error.message


def test_an_untrusted_certificate_was_not_sent(tls_server, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    client = UpstreamClient(tls_server.url, KEY, read_timeout=1, deadline=2)
    error = fail(client.add, service="1", link="x", quantity="10")
    assert error.outcome is Outcome.NOT_SENT
    assert "TLS certificate rejected" in error.message
    assert tls_server.requests == []


# --- status ---------------------------------------------------------------------------------


def test_status_parses_strings(server, client):
    answer = {
        "charge": "0.27819",
        "start_count": "3572",
        "status": "Partial",
        "remains": "157",
        "currency": "USD",
    }
    server.reply(answer)
    assert client.status("23501") == OrderStatus(
        status="Partial",
        charge=Decimal("0.27819"),
        start_count=3572,
        remains=157,
        currency="USD",
        raw=answer,
    )
    assert server.requests[0].fields["order"] == "23501"


def test_status_parses_numbers_exactly(server, client):
    server.reply('{"charge": 0.1, "start_count": 0, "status": " In progress ", "remains": -20}')
    status = client.status("1")
    assert status.charge == Decimal("0.1") and str(status.charge) == "0.1"
    assert (status.status, status.start_count, status.remains) == ("In progress", 0, -20)
    assert status.currency == ""


def test_status_keeps_odd_values_as_none_or_raw(server, client):
    answer = {
        "status": "Pending",
        "charge": "n/a",
        "start_count": None,
        "remains": "1.5",
        "runs": "3",
        "orders": [11, 12],
    }
    server.reply(answer)
    status = client.status("1")
    assert (status.charge, status.start_count, status.remains) == (None, None, None)
    assert status.raw["orders"] == [11, 12] and status.raw["runs"] == "3"


def test_status_keeps_remains_above_the_quantity(server, client):
    server.reply({"status": "Pending", "remains": 999999})
    assert client.status("1").remains == 999999


def test_status_of_an_unknown_order_is_rejected(server, client):
    server.reply({"error": "Incorrect order ID"})
    error = fail(client.status, "9")
    assert (error.outcome, error.message) == (Outcome.REJECTED, "Incorrect order ID")


@pytest.mark.parametrize("wire", ['{"charge": "1"}', '{"status": ""}', '{"status": 3}', "[]"])
def test_status_without_a_status_is_unknown(server, client, wire):
    server.reply(wire)
    assert fail(client.status, "1").outcome is Outcome.UNKNOWN


def test_statuses_are_keyed_by_id_with_item_errors(server, client):
    server.reply(
        {
            "1": {"charge": "0.27819", "start_count": "3572", "status": "Partial", "remains": 157},
            "10": {"error": "Incorrect order ID"},
            "100": {"charge": 1.2, "start_count": 0, "status": "In progress", "remains": "10"},
        }
    )
    result = client.statuses(["1", 10, "100"])
    assert server.requests[0].fields["orders"] == "1,10,100"
    assert "order" not in server.requests[0].fields
    assert result["10"] == ItemError("Incorrect order ID")
    assert result["1"].status == "Partial" and result["1"].remains == 157
    assert result["100"].charge == Decimal("1.2")


def test_statuses_accepts_the_single_form_for_one_id(server, client):
    server.reply({"status": "Completed", "remains": "0"})
    assert client.statuses(["5"])["5"].status == "Completed"


def test_statuses_refuses_more_than_100_ids(server, client):
    with pytest.raises(ValueError):
        client.statuses([str(i) for i in range(101)])
    assert server.requests == []


def test_statuses_of_nothing_asks_nothing(server, client):
    assert client.statuses([]) == {}
    assert server.requests == []


def test_an_ill_shaped_item_in_statuses_is_that_ids_error_only(server, client):
    server.reply({"1": {"status": "Completed"}, "2": "Completed", "3": {"status": 5}})
    answers = client.statuses(["1", "2", "3"])
    assert answers["1"].status == "Completed"
    assert answers["2"] == ItemError("malformed status answer: expected an object, got a string")
    assert isinstance(answers["3"], ItemError)


def test_statuses_as_a_list_is_unknown(server, client):
    server.reply([{"status": "Completed"}])
    assert fail(client.statuses, ["1", "2"]).message == "status: expected an object, got a list"


# --- refill, refill_status, cancel, balance -------------------------------------------------


@pytest.mark.parametrize("wire", ['{"refill": "1"}', '{"refill": 1}'])
def test_refill_returns_the_refill_id(server, client, wire):
    server.reply(wire)
    assert client.refill("23501") == "1"
    assert server.requests[0].fields == {"key": KEY, "action": "refill", "order": "23501"}


def test_refill_refused_is_rejected(server, client):
    server.reply({"error": "Order not eligible for refill"})
    error = fail(client.refill, "1")
    assert (error.outcome, error.message) == (Outcome.REJECTED, "Order not eligible for refill")


def test_refill_refused_in_the_nested_form_is_rejected(server, client):
    server.reply({"refill": {"error": "Incorrect order ID"}})
    error = fail(client.refill, "1")
    assert (error.outcome, error.message) == (Outcome.REJECTED, "Incorrect order ID")


def test_refill_without_an_id_is_unknown(server, client):
    server.reply({"status": "ok"})
    assert fail(client.refill, "1").message == "refill: refill is missing"


def test_refills_in_bulk(server, client):
    server.reply(
        '[{"order": 1, "refill": 1}, {"order": "3", "refill": {"error": "Incorrect order ID"}},'
        ' {"order": 4, "error": "Order not eligible for refill"}]'
    )
    assert client.refills(["1", "3", "4"]) == {
        "1": "1",
        "3": ItemError("Incorrect order ID"),
        "4": ItemError("Order not eligible for refill"),
    }
    assert server.requests[0].fields["orders"] == "1,3,4"
    assert server.requests[0].headers["connection"] == "close"


def test_refills_with_an_item_without_order_is_unknown(server, client):
    server.reply([{"order": 1, "refill": 1}, {"refill": 2}])
    assert fail(client.refills, ["1", "2"]).message == "refill: item 1: order is missing"


def test_refill_status(server, client):
    server.reply({"status": "Completed"})
    assert client.refill_status("7") == "Completed"
    assert server.requests[0].fields["refill"] == "7"


def test_refill_status_of_an_unknown_refill_is_rejected(server, client):
    server.reply({"error": "Incorrect refill ID"})
    assert fail(client.refill_status, "7").outcome is Outcome.REJECTED


def test_refill_statuses_in_bulk(server, client):
    server.reply(
        [
            {"refill": 1, "status": "Completed"},
            {"refill": 3, "status": {"error": "Refill not found"}},
        ]
    )
    assert client.refill_statuses(["1", "3"]) == {
        "1": "Completed",
        "3": ItemError("Refill not found"),
    }
    assert server.requests[0].fields["refills"] == "1,3"


def test_cancel_in_bulk(server, client):
    server.reply(
        '[{"order": 9, "cancel": {"error": "Incorrect order ID"}}, {"order": 2, "cancel": 1},'
        ' {"order": 3, "cancel": "1"}, {"order": 4, "cancel": true}, {"order": 5, "cancel": 0}]'
    )
    assert client.cancel(["9", "2", "3", "4", "5"]) == {
        "9": ItemError("Incorrect order ID"),
        "2": None,
        "3": None,
        "4": None,
        "5": ItemError("Cancel not accepted"),
    }
    assert server.requests[0].fields["orders"] == "9,2,3,4,5"
    assert server.requests[0].headers["connection"] == "close"


def test_cancel_refuses_a_single_string(client):
    with pytest.raises(ValueError):
        client.cancel("12")


def test_cancel_with_an_odd_value_is_unknown(server, client):
    server.reply([{"order": 2, "cancel": "perhaps"}])
    assert fail(client.cancel, ["2"]).message == "cancel: item 0: cancel 'perhaps' is not a boolean"


@pytest.mark.parametrize(
    "wire, amount",
    [
        ('{"balance": "100.84292", "currency": "USD"}', "100.84292"),
        ('{"balance": 100.84292, "currency": "USD"}', "100.84292"),
        ('{"balance": 0.1, "currency": "USD"}', "0.1"),
        ('{"balance": -3, "currency": "USD"}', "-3"),
    ],
)
def test_balance_is_an_exact_decimal(server, client, wire, amount):
    server.reply(wire)
    balance = client.balance()
    assert balance == Balance(Decimal(amount), "USD")
    assert str(balance.amount) == amount


@pytest.mark.parametrize(
    "wire", ['{"currency": "USD"}', '{"balance": "lots"}', '{"balance": "NaN"}']
)
def test_a_balance_that_is_not_a_number_is_unknown(server, client, wire):
    server.reply(wire)
    assert fail(client.balance).outcome is Outcome.UNKNOWN


# --- the key stays secret -------------------------------------------------------------------


def test_repr_shows_only_the_url(client, server):
    assert repr(client) == f"<UpstreamClient {server.url}>"
    assert KEY not in repr(client)


def test_an_echoed_key_is_redacted_from_errors(server, client):
    server.reply({"error": f"Invalid API key {KEY}"})
    assert fail(client.balance).message == "Invalid API key ***"
    server.reply(f"<html>key={KEY}&action=balance</html>", status=500)
    fail(client.balance)
    server.reply(f"key={KEY}", status=200)
    assert "***" in fail(client.balance).message
    server.reply([{**FOLLOWERS, "rate": KEY}])
    assert "***" in fail(client.services).message


def test_logs_one_line_per_call_without_the_key(server, client, caplog):
    caplog.set_level(logging.DEBUG, logger="catalog.upstream")
    server.reply({"balance": "1", "currency": "USD"})
    server.reply({"error": "Not enough funds on balance"})
    client.balance()
    fail(client.add, service="1", link="x", quantity="10")
    lines = [r.getMessage() for r in caplog.records if r.name == "catalog.upstream"]
    assert len(lines) == 2
    assert lines[0].startswith("upstream balance 127.0.0.1:") and lines[0].endswith(" ok")
    assert lines[1].startswith("upstream add 127.0.0.1:") and lines[1].endswith(" rejected")
    assert "ms" in lines[0]
    assert all(KEY not in line for line in caplog.text.splitlines())


# --- call() is the one chokepoint ----------------------------------------------------------


def test_every_action_goes_through_call(monkeypatch):
    client = UpstreamClient("http://127.0.0.1:9/api/v2", KEY)
    calls = []
    answers = {
        "services": [{"service": 1, "name": "n", "rate": 0.1, "min": 1, "max": 2}],
        "add": {"order": 5},
        "status": {"status": "Completed", "charge": 0.27819, "remains": 0},
        "balance": {"balance": 1.5, "currency": "USD"},
    }

    def fake_call(action, **fields):
        calls.append((action, fields))
        return answers[action]

    monkeypatch.setattr(client, "call", fake_call)
    assert client.services()[0].rate == Decimal("0.1")
    assert client.add(service="1", link="x", quantity="10") == "5"
    assert client.status("5").charge == Decimal("0.27819")
    assert client.balance().amount == Decimal("1.5")
    assert [action for action, _ in calls] == ["services", "add", "status", "balance"]
    assert calls[1][1] == {"service": "1", "link": "x", "quantity": "10"}


# --- the error type and the factory ---------------------------------------------------------


def test_the_error_survives_pickling():
    error = UpstreamError("add: read timeout", outcome=Outcome.UNKNOWN, action="add")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.outcome, copy.action) == (error.message, error.outcome, "add")
    assert str(copy) == "add: read timeout"


def test_for_provider_takes_timeouts_from_settings(settings):
    settings.UPSTREAM_CONNECT_TIMEOUT = 2.5
    settings.UPSTREAM_READ_TIMEOUT = 7.0
    settings.UPSTREAM_DEADLINE = 9.0

    class Provider:
        api_url = "https://smmnova.shop/api/v2"
        api_key = KEY

    client = UpstreamClient.for_provider(Provider())
    assert (client.connect_timeout, client.read_timeout, client.deadline) == (2.5, 7.0, 9.0)
    assert repr(client) == "<UpstreamClient https://smmnova.shop/api/v2>"
