"""The PostgreSQL backend's health check (panel/postgresql): no round trip, and a connection
the server dropped is replaced before a request uses it."""

import time

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


def server_statements(pid: int, admin: psycopg.Connection) -> int:
    """How many statements the backend `pid` has started (its query_start moves on each)."""
    return admin.execute(
        "SELECT extract(epoch FROM query_start) FROM pg_stat_activity WHERE pid = %s", [pid]
    ).fetchone()[0]


@pytest.fixture
def admin():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as conn:
        yield conn


def test_an_idle_connection_is_usable_without_asking_the_server(admin):
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    pid = connection.connection.info.backend_pid
    before = server_statements(pid, admin)
    assert connection.is_usable()
    assert connection.is_usable()
    assert server_statements(pid, admin) == before  # nothing was sent


def test_a_connection_the_server_dropped_is_replaced_before_the_next_request(admin):
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's farewell reaches the socket
    assert not connection.is_usable()

    connection.close_if_unusable_or_obsolete()  # what Django does when a request starts
    with connection.cursor() as cursor:  # the request's first query checks, then reconnects
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
    assert connection.is_usable()


def test_a_connection_in_a_failed_transaction_is_not_usable():
    connection.ensure_connection()
    connection.set_autocommit(False)
    try:
        with pytest.raises(Exception), connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")
        assert not connection.is_usable()
    finally:
        connection.rollback()
        connection.set_autocommit(True)
    assert connection.is_usable()
