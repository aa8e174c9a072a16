"""The Redis transport of the broker, with one Redis client per channel.

kombu's Redis channel builds a new `redis.Redis` client for every message it publishes (the
connection itself comes from a pool); with redis-py 8 building a client costs more than the
LPUSH it sends, about a fifth of publishing a task. The client holds no state of its own beyond
its pool, so one per channel serves every publish; it is rebuilt when kombu replaces the pool
(after a fork or a reconnect). Used when the broker URL is redis:// (settings).
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
