"""One running sandbox: storage, simulated clock, catalog, API key and faults, together."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.catalog import Catalog
from sandbox.clock import SimClock
from sandbox.faults import Faults, FaultState
from sandbox.store import Store

DEFAULT_SERVICES = 5000
DEFAULT_SEED = 1
DEFAULT_BALANCE = Decimal("1000")
BALANCE_PLACES = Decimal("0.00001")


class Sandbox:
    def __init__(
        self,
        store: Store,
        *,
        key: str,
        seed: int,
        catalog: Catalog,
        clock: SimClock,
        faults: FaultState,
    ) -> None:
        self.store = store
        self.key = key
        self.seed = seed  # drives every order's plan
        self.catalog = catalog
        self.clock = clock
        self.faults = faults
        self.stop_event = threading.Event()  # wakes sleeping fault delays on shutdown

    @classmethod
    def open(
        cls,
        db: str | Path,
        *,
        key: str,
        services: int | None = None,
        seed: int | None = None,
        speed: float | None = None,
        balance: Decimal | None = None,
        faults: dict[str, Any] | None = None,
    ) -> Sandbox:
        """Open (or create) the database; options given explicitly override what it holds."""
        store = Store(db)
        if balance is not None:
            store.set_balance(balance.quantize(BALANCE_PLACES))
        elif store.get_state("balance") is None:
            store.set_balance(DEFAULT_BALANCE.quantize(BALANCE_PLACES))
        sandbox = cls(
            store,
            key=key,
            seed=seed if seed is not None else store.get_state("seed", DEFAULT_SEED),
            catalog=_open_catalog(store, services, seed),
            clock=_open_clock(store, speed),
            faults=FaultState(Faults.from_dict(faults or {})),
        )
        store.set_state("seed", sandbox.seed)
        sandbox.save_catalog()
        sandbox.save_clock()
        return sandbox

    def now(self) -> float:
        return self.clock.now()

    def save_clock(self) -> None:
        self.store.set_state("clock", self.clock.state())

    def save_catalog(self) -> None:
        self.store.set_state("catalog", self.catalog.config())

    def replace_catalog(self, services: int, seed: int) -> None:
        self.catalog = Catalog(services, seed)
        self.save_catalog()

    def close(self) -> None:
        self.stop_event.set()
        self.store.close()


def _open_catalog(store: Store, services: int | None, seed: int | None) -> Catalog:
    """The stored catalog with its edits, unless the command line asks for a different one."""
    saved = store.get_state("catalog") or {}
    count = services if services is not None else saved.get("services", DEFAULT_SERVICES)
    seed = seed if seed is not None else saved.get("seed", DEFAULT_SEED)
    if saved.get("services") != count or saved.get("seed") != seed:
        return Catalog(count, seed)
    return Catalog(
        count,
        seed,
        removed=saved.get("removed"),
        rates=saved.get("rates"),
        broken=saved.get("break"),
    )


def _open_clock(store: Store, speed: float | None) -> SimClock:
    saved = store.get_state("clock")
    clock = SimClock(**saved) if saved else SimClock.starting_now()
    if speed is not None:
        clock.set_speed(speed)
    return clock
