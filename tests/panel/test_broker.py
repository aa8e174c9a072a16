"""panel/broker.py: kombu's Redis transport with one publishing client per channel, against the
test broker (Redis)."""

import inspect
import uuid

import pytest
from django.conf import settings
from kombu import Connection
from kombu.transport import redis

from panel.broker import Channel, Transport

pytestmark = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis://"), reason="needs the Redis broker"
)


@pytest.fixture
def channel():
    with Connection(settings.CELERY_BROKER_URL, transport=Transport) as connection:
        yield connection.default_channel


def test_the_private_method_it_overrides_is_still_kombus():
    """A kombu upgrade that renames or reshapes it must fail here, not in production."""
    original = redis.Channel._create_client
    assert Channel._create_client is not original
    parameters = inspect.signature(original).parameters
    assert list(parameters) == ["self", "asynchronous"]
    assert parameters["asynchronous"].default is False


def test_publishing_reuses_one_client_until_the_pool_changes(channel):
    first = channel._create_client()
    assert channel._create_client() is first
    assert first.connection_pool is channel.pool
    channel._pool = None  # as kombu does after a fork or a reconnect
    again = channel._create_client()
    assert again is not first and again.connection_pool is channel.pool


def test_the_consumers_clients_are_made_as_kombu_makes_them(channel):
    one, two = channel._create_client(asynchronous=True), channel._create_client(True)
    assert one is not two
    assert one is not channel._create_client()


def test_messages_go_through(channel):
    queue = f"test-broker-{uuid.uuid4().hex}"
    channel.queue_declare(queue=queue, auto_delete=True)
    try:
        for n in range(3):
            channel.basic_publish(channel.prepare_message(f"m{n}"), exchange="", routing_key=queue)
        received = [channel.basic_get(queue, no_ack=True).body for _ in range(3)]
        assert received == [b"m0", b"m1", b"m2"]
    finally:
        channel.queue_delete(queue=queue)
