"""The Redis transport of the broker, with one Redis client per channel.

Why: kombu's Redis channel builds a new `redis.Redis` client for every message it publishes
(the connection itself comes from a pool); with redis-py 8 building a client costs more than
the LPUSH it sends. Publishing the forwarding task of a placed order went from 0.36 to 0.23 ms
of CPU with this and panel/celery.py's one reading of the settings (docs/benchmarks.md, "Order
placement"). The client holds no state of its own beyond its pool, so one per channel serves
every publish; it is rebuilt when kombu replaces the pool (after a fork or a reconnect). Used
when the broker URL is redis:// (settings).

What breaks it: this overrides kombu's private `Channel._create_client(asynchronous=False)`.
kombu is pinned to one exact version (pyproject.toml) for that reason; before raising the pin,
run tests/panel/test_broker.py, which checks the method is still there with that argument and
that messages still go through.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    _publishing_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:  # the consumer's own connections: as kombu makes them
            return super()._create_client(asynchronous=True)
        client = self._publishing_client
        if client is None or client.connection_pool is not self.pool:
            client = self._publishing_client = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel
