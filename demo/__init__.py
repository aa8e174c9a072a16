"""The embedded demo of `make run`: its data (setup.py) and the `rundemo` command.

The top of the dependency graph: it may import every app, and nothing imports it.
"""
