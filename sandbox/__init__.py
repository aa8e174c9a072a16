"""A standalone API v2 provider for demos, tests and benchmarks (stdlib only, no Django).

Run it with ``python -m sandbox``; see ``sandbox/README.md`` for flags, faults and the
control endpoints, and ``sandbox.process.SandboxProcess`` to drive it from tests.
"""
