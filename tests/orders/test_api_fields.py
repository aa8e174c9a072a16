"""The API reads the form bodies clients send without QueryDict (orders.api._plain_form): for
every body it takes, it must read what request.POST reads."""

import pytest
from django.core.exceptions import TooManyFieldsSent
from django.test import RequestFactory, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from orders.api import _fields, _plain_form

FORM = "application/x-www-form-urlencoded"

# What bodies are made of: plain text, the comma escapes clients send, other escapes, spaces
# as `+`, separators, empty fields, UTF-8 and bytes that are not.
pieces = st.sampled_from(
    ["key", "action", "orders", "status", "a", "Z", "0", "19", "-", "_", ".", "~", "%2C", "%2c",
     "%2", "%", "%41", "%e9", "%C3%A9", "+", "&", "&&", "=", "==", ";", "é", "\x00", "\n"]
)  # fmt: skip
bodies = st.one_of(
    st.lists(pieces, max_size=40).map("".join).map(str.encode),
    st.binary(max_size=60),
)


def by_django(body: bytes, content_type: str = FORM) -> dict[str, str]:
    post = RequestFactory().post("/api/v2", body, content_type=content_type).POST
    return {name: post.get(name, "") for name in post}


@pytest.mark.slow  # many examples, or processes: seconds
@settings(max_examples=3000, deadline=None)
@given(body=bodies)
def test_every_body_taken_reads_as_request_post_reads_it(body):
    request = RequestFactory().post("/api/v2", body, content_type=FORM)
    plain = _plain_form(request)
    if plain is not None:
        assert plain == by_django(body)
    assert _fields(RequestFactory().post("/api/v2", body, content_type=FORM)) == by_django(body)


def test_the_bodies_clients_send_are_taken():
    ids = ",".join(map(str, range(1, 101)))
    body = f"key=Ab-_9&action=status&orders={ids.replace(',', '%2C')}".encode()
    request = RequestFactory().post("/api/v2", body, content_type=FORM)
    assert _plain_form(request) == {"key": "Ab-_9", "action": "status", "orders": ids}
    spaced = RequestFactory().post("/api/v2", b"link=a+b&x", content_type=FORM)
    assert _plain_form(spaced) == {"link": "a b", "x": ""}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"link=%C3%A9", FORM),  # another escape
        ("a=é".encode(), FORM),  # not ASCII
        (b"a=1", f"{FORM}; charset=latin-1"),  # a charset of its own
        (b"a=1", "text/plain"),
    ],
)
def test_other_bodies_are_left_to_request_post(body, content_type):
    request = RequestFactory().post("/api/v2", body, content_type=content_type)
    assert _plain_form(request) is None


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=3)
def test_too_many_fields_are_refused_as_request_post_refuses_them():
    request = RequestFactory().post("/api/v2", b"a=1&b=2&c=3&d=4", content_type=FORM)
    assert _plain_form(request) is None
    with pytest.raises(TooManyFieldsSent):
        _fields(request)
    three = RequestFactory().post("/api/v2", b"a=1&b=2&c=3", content_type=FORM)
    assert _plain_form(three) == {"a": "1", "b": "2", "c": "3"}
