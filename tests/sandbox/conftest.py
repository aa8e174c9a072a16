"""Fixtures for the sandbox provider's own tests: one process over real HTTP, cleaned per test.

Names differ from the shared ``sandbox``/``sandbox_process`` fixtures in tests/conftest.py
on purpose: these tests pin their own catalog size and seed.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from sandbox.process import SandboxProcess

Api = Callable[..., Any]


@pytest.fixture(scope="session")
def upstream() -> Iterator[SandboxProcess]:
    with SandboxProcess(services=600, seed=7, speed=1.0) as process:
        yield process


@pytest.fixture(scope="session")
def catalog(upstream: SandboxProcess) -> list[dict[str, Any]]:
    """The shared process's services as sent (these tests never change that catalog)."""
    return requests.post(upstream.api_url, data={"key": upstream.key, "action": "services"}).json()


@pytest.fixture
def sb(upstream: SandboxProcess) -> Iterator[SandboxProcess]:
    """The shared sandbox with no orders, no faults, wall-clock time and 1000 USD."""
    upstream.reset()
    upstream.set_balance("1000")
    yield upstream
    upstream.reset()


@pytest.fixture
def api(sb: SandboxProcess) -> Api:
    """``api("add", service=1, ...)``: one form-encoded POST, the decoded JSON answer."""
    session = requests.Session()

    def call(action: str, **fields: Any) -> Any:
        data = {"key": sb.key, "action": action, **fields}
        response = session.post(sb.api_url, data=data, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    return call


def flag(value: Any) -> bool:
    """A service flag as providers write it: true/1/"1"; missing means false."""
    return value in (True, 1, "1")


@pytest.fixture
def find(catalog: list[dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``find("Default", dripfeed=True)``: the first service of a type with those flags."""

    def first(type_: str, **flags: bool) -> dict[str, Any]:
        for service in catalog:
            if service["type"] == type_ and all(
                flag(service.get(name)) == wanted for name, wanted in flags.items()
            ):
                return service
        raise LookupError(f"no {type_} service with {flags}")

    return first
