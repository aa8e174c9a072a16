"""Django's PostgreSQL backend, with a health check that does not ask the server.

With CONN_HEALTH_CHECKS on, Django checks a reused connection before the first query of
every request by sending `SELECT 1`: a round trip per request, about a tenth of the work of
an API status call (docs/benchmarks.md). An idle connection has nothing to read; one the
server closed (restart, `pg_terminate_backend`, an idle timeout) has its farewell or the end
of the stream waiting on its socket. So a connection is usable when psycopg has it open, not
in a failed transaction, and its socket has nothing waiting. Anything waiting counts as
unusable: the connection is replaced, which is never wrong, only a reconnect.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

USABLE = (TransactionStatus.IDLE, TransactionStatus.INTRANS)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status not in USABLE:
            return False
        try:
            waiting, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not waiting
