"""panel.wsgi hands granian a whole response as one bytes object and streams the rest."""

import io

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from panel.wsgi import application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's test client does: the request must not close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(path: str, method: str = "GET", body: bytes = b"") -> tuple[str, dict, object]:
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD=method,
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": io.BytesIO(body)},
    )
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))

    result = application(environ, start_response)
    return started["status"], started["headers"], result


def test_a_whole_response_is_one_bytes_object_and_finished_once():
    finished = []

    def on_finished(**kwargs):
        finished.append(kwargs)

    request_finished.connect(on_finished, weak=False, dispatch_uid="test-wsgi")
    try:
        status, headers, result = call("/api/v2", "POST", b"action=balance&key=nope")
    finally:
        request_finished.disconnect(dispatch_uid="test-wsgi")
    assert status == "200 OK"
    assert result == [b'{"error":"Invalid API key"}']
    assert headers["Content-Length"] == str(len(result[0]))
    assert len(finished) == 1  # closed once, as a server closes what it sent


def test_a_page_and_an_error_page_are_whole_too():
    status, _, result = call("/login")
    assert status == "200 OK" and isinstance(result, list) and b"<form" in result[0]
    status, _, result = call("/no-such-page")
    assert status.startswith("404") and isinstance(result, list)


def test_a_static_file_is_still_streamed():
    status, headers, result = call("/static/css/panel.css")
    assert status == "200 OK"
    assert not isinstance(result, list)
    body = b"".join(result)
    result.close()
    assert len(body) == int(headers["Content-Length"]) > 0
