"""What the tests and the benchmarks share, outside the test suite so that benchmarks never import
tests: builders of catalog rows and customers (catalog.py, customers.py), one bounded wait
(waiting.py), servers on free ports (ports.py), and drivers of the panel's own processes: Celery
workers (workers.py) and a whole second panel (panels.py). The sandbox provider's driver is
sandbox/process.py.

Nothing here runs in production: no app imports it.
"""
