"""Benchmarks: each module a command printing its figures (results in docs/benchmarks.md).

`bench.settings` serves the panel with the two anchor views of `bench/views.py` mounted; only
bench/api_throughput.py's server runs with it.
"""
