"""Running test code in real threads at the same instant, each on its own database connection."""

import threading

from django.db import connection


def run_together(count: int, work, *, timeout: float = 120) -> list:
    """Start `count` threads at once; each returns `work(i)` or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # collected, asserted by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
