"""Every fault mode, as a client sees it, and whether the request was processed."""

import http.client
import json
import socket

import pytest
import requests

LINK = "https://instagram.com/faults"


@pytest.fixture
def add(sb, find):
    """``add(timeout=...)``: one ``add`` of a cheap Default service, the raw response."""
    service = find("Default")

    def send(timeout=5.0):
        data = {
            "key": sb.key,
            "action": "add",
            "service": service["service"],
            "link": LINK,
            "quantity": service["min"],
        }
        return requests.post(sb.api_url, data=data, timeout=timeout)

    return send


def balance(sb):
    return requests.post(sb.api_url, data={"key": sb.key, "action": "balance"}, timeout=5)


def test_error_rate_refuses_without_creating_anything(sb, add):
    sb.set_faults(error_rate=1.0)
    answer = add().json()
    assert set(answer) == {"error"} and answer["error"]
    assert sb.orders() == []
    sb.set_faults(error_rate=1.0, error_message="Service is temporarily disabled")
    assert add().json() == {"error": "Service is temporarily disabled"}


def test_funds_answers_not_enough_funds(sb, add):
    sb.set_faults(funds=True)
    assert add().json() == {"error": "Not enough funds on balance"}
    assert sb.orders() == []
    assert balance(sb).json()["balance"] == "1000.00000"


def test_html_is_a_proxy_502_after_processing(sb, add):
    sb.set_faults(html_rate=1.0)
    response = add()
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"502 Bad Gateway" in response.content
    assert len(sb.orders()) == 1


def test_broken_answers_can_come_before_processing(sb, add):
    sb.set_faults(html_rate=1.0, processed=False)
    assert add().status_code == 502
    assert sb.orders() == []


def test_status_500_with_json_or_text(sb, add):
    sb.set_faults(status_500_rate=1.0, seed=1)
    bodies = {add().content for _ in range(12)}
    assert all(add().status_code == 500 for _ in range(2))
    assert b"Internal Server Error" in bodies
    assert b'{"error":"Internal Server Error"}' in bodies


def test_empty_is_a_200_without_a_body(sb, add):
    sb.set_faults(empty_rate=1.0)
    response = add()
    assert response.status_code == 200 and response.content == b""
    assert len(sb.orders()) == 1


def test_garbage_is_not_json(sb, add):
    sb.set_faults(garbage_rate=1.0, seed=2)
    bodies = [add().content for _ in range(8)]
    for body in bodies:
        with pytest.raises(ValueError):
            json.loads(body)
    assert any(body.startswith(b"<br />") for body in bodies)  # a PHP warning before the JSON
    assert any(body.startswith(b"{") for body in bodies)  # truncated JSON


def test_drop_hangs_up_without_processing(sb, add):
    sb.set_faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        add()
    assert sb.orders() == []


def test_reset_after_processes_then_hangs_up(sb, add):
    sb.set_faults(reset_after_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        add()
    assert len(sb.orders()) == 1


def test_blackhole_processes_then_never_answers(sb, add):
    sb.set_faults(blackhole_rate=1.0, blackhole_seconds=2)
    with pytest.raises(requests.ReadTimeout):
        add(timeout=0.3)
    assert len(sb.orders()) == 1


def test_blackhole_closes_the_connection_after_holding_it(sb, add):
    sb.set_faults(blackhole_rate=1.0, blackhole_seconds=0.2)
    with pytest.raises(requests.ConnectionError):
        add(timeout=5)


def test_latency_delays_the_answer_after_processing(sb, add):
    sb.set_faults(latency_ms=1000)
    with pytest.raises(requests.ReadTimeout):
        add(timeout=0.2)
    assert len(sb.orders()) == 1


def test_drip_sends_the_answer_piece_by_piece(sb):
    sb.set_faults(drip_seconds=0.3, actions=["balance"])
    body = f"key={sb.key}&action=balance".encode()
    request = (
        f"POST /api/v2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    with socket.create_connection((sb.host, sb.port), timeout=5) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    assert len(chunks) > 3  # it arrived in pieces, not in one segment
    assert response.endswith(b'{"balance":"1000.00000","currency":"USD"}')


def test_faults_apply_only_to_the_listed_actions(sb, add):
    sb.set_faults(error_rate=1.0, actions=["status"])
    assert set(add().json()) == {"order"}
    assert balance(sb).json()["currency"] == "USD"
    order_id = sb.orders()[0]["id"]
    status = requests.post(
        sb.api_url, data={"key": sb.key, "action": "status", "order": order_id}
    ).json()
    assert status == {"error": "Incorrect order ID"}


def test_faults_never_touch_the_control_endpoints(sb):
    sb.set_faults(drop_rate=1.0)
    assert sb.control("GET", "/control/health") == {"ok": True}
    assert sb.control("GET", "/control/faults")["drop_rate"] == 1.0


def test_a_seeded_fault_set_repeats_its_draws(sb):
    def pattern():
        sb.set_faults(error_rate=0.5, seed=42, actions=["balance"])
        return ["error" in balance(sb).json() for _ in range(20)]

    first = pattern()
    assert first == pattern()
    assert any(first) and not all(first)


def test_unique_links_refuses_a_second_active_order(sb, add):
    sb.set_faults(unique_links=True)
    assert "order" in add().json()
    assert add().json() == {"error": "Active order with this link exists"}
    sb.advance(3600)
    assert "order" in add().json()


def test_bad_fault_sets_are_refused(sb):
    for bad in ({"error_rate": 2}, {"nope": 1}, {"actions": ["fly"]}):
        with pytest.raises(Exception, match="400"):
            sb.control("POST", "/control/faults", bad)


def test_clear_faults_and_reset(sb, add):
    sb.set_faults(drop_rate=1.0)
    sb.clear_faults()
    assert "order" in add().json()
    sb.set_faults(drop_rate=1.0)
    sb.reset()
    assert "order" in add().json()


def test_keepalive_clients_see_a_drop_on_a_reused_connection(sb):
    """The case a pooled client must not blindly retry: the connection was fine a moment ago."""
    conn = http.client.HTTPConnection(sb.host, sb.port, timeout=5)
    body = f"key={sb.key}&action=balance"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/api/v2", body, headers)
    assert conn.getresponse().read()
    sb.set_faults(drop_rate=1.0)
    conn.request("POST", "/api/v2", body, headers)
    with pytest.raises(http.client.RemoteDisconnected):
        conn.getresponse()
    conn.close()
