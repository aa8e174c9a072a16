"""Shared fixtures: the sandbox provider over real HTTP, named personas."""

import pytest

from sandbox.testing import SandboxProcess


@pytest.fixture(scope="session")
def sandbox_process():
    """One sandbox process for the whole run (2,000 services keeps start-up quick)."""
    with SandboxProcess(services=2000, speed=1.0) as sb:
        yield sb


@pytest.fixture
def sandbox(sandbox_process):
    """The shared sandbox, reset (orders, faults, clock, catalog breakage) for each test."""
    sandbox_process.reset()
    yield sandbox_process
    sandbox_process.reset()
