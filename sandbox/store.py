"""SQLite storage: orders, refills and a small key/value state (balance, clock, catalog edits).

One connection, guarded by one lock: the sandbox is a test double, and a lock around every
statement keeps it simple and correct under the threaded server. The file persists across
restarts, so a test can stop the process and start it again on the same data.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

FIRST_ORDER_ID = 10001  # real providers' ids are large; small ids hide int/str mix-ups

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER,
    origin TEXT NOT NULL,           -- api (an accepted add), child, seed
    service INTEGER NOT NULL,
    type TEXT NOT NULL,
    link TEXT NOT NULL,
    quantity INTEGER NOT NULL,      -- per run for drip-feed, max per post for subscriptions
    runs INTEGER NOT NULL,
    interval_minutes INTEGER NOT NULL,
    charge TEXT NOT NULL,
    refill INTEGER NOT NULL,        -- the service's flags when the order was placed
    cancel INTEGER NOT NULL,
    fields TEXT NOT NULL,           -- the add request as received, minus the key
    created REAL NOT NULL,          -- simulated time
    created_wall REAL NOT NULL,
    expires REAL,
    canceled_at REAL,               -- simulated time it stops (a cancel, or a planned one)
    outcome TEXT,                   -- forced outcome of a drip-feed run or subscription post
    override TEXT
);
CREATE INDEX IF NOT EXISTS orders_parent ON orders(parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS orders_link ON orders(service, link) WHERE origin = 'api';
CREATE TABLE IF NOT EXISTS refills (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS refills_order ON refills(order_id);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
ORDER_FIELDS = (
    "id",
    "parent_id",
    "origin",
    "service",
    "type",
    "link",
    "quantity",
    "runs",
    "interval_minutes",
    "charge",
    "refill",
    "cancel",
    "created",
    "created_wall",
    "expires",
    "canceled_at",
    "outcome",
    "override",
)
INSERT = (
    "INSERT INTO orders (id, parent_id, origin, service, type, link, quantity, runs,"
    " interval_minutes, charge, refill, cancel, created, created_wall, expires, canceled_at,"
    " outcome, fields) VALUES (:id, :parent_id, :origin, :service, :type, :link, :quantity,"
    " :runs, :interval_minutes, :charge, :refill, :cancel, :created, :created_wall, :expires,"
    " :canceled_at, :outcome, :fields)"
)


class NotEnoughFunds(Exception):
    pass


@dataclass(frozen=True)
class Order:
    id: int
    parent_id: int | None
    origin: str
    service: int
    type: str
    link: str
    quantity: int
    runs: int
    interval_minutes: int
    charge: str
    refill: bool
    cancel: bool
    created: float
    created_wall: float
    expires: float | None
    canceled_at: float | None
    outcome: str | None
    override: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Order:
        values = {name: row[name] for name in ORDER_FIELDS}
        values["refill"], values["cancel"] = bool(values["refill"]), bool(values["cancel"])
        values["override"] = json.loads(values["override"]) if values["override"] else None
        return cls(**values)


@dataclass(frozen=True)
class Refill:
    id: int
    order_id: int
    created: float


class Store:
    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        # Autocommit; multi-statement changes open their own transaction.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        self._db.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'orders', ?"
            " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'orders')",
            (FIRST_ORDER_ID - 1,),
        )

    def close(self) -> None:
        with self.lock:
            self._db.close()

    # -- state ----------------------------------------------------------------------------

    def get_state(self, key: str, default: Any = None) -> Any:
        with self.lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_state(self, key: str, value: Any) -> None:
        with self.lock:
            self._db.execute(
                "INSERT INTO state (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def balance(self) -> Decimal:
        return Decimal(self.get_state("balance", "0"))

    def set_balance(self, amount: Decimal) -> None:
        self.set_state("balance", str(amount))

    # -- orders ---------------------------------------------------------------------------

    def place(self, parent: dict[str, Any], children: list[dict[str, Any]], charge: Decimal) -> int:
        """Debit the balance and record the order with its children, all or nothing."""
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                balance = self.balance()
                if balance < charge:
                    raise NotEnoughFunds
                order_id = self._db.execute(INSERT, {**parent, "id": None}).lastrowid
                assert order_id is not None
                self._db.executemany(
                    INSERT, [{**child, "id": None, "parent_id": order_id} for child in children]
                )
                self.set_balance(balance - charge)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return order_id

    def seed(self, template: dict[str, Any], count: int) -> tuple[int, int]:
        """Bulk-create ``count`` copies of one order with consecutive ids, in one statement."""
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'orders'")
                first = row.fetchone()[0] + 1
                self._db.executemany(INSERT, ({**template, "id": first + i} for i in range(count)))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return first, first + count - 1

    def orders(self, ids: Iterable[int]) -> dict[int, Order]:
        rows = self._select(
            "SELECT * FROM orders WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),),
        )
        return {row["id"]: Order.from_row(row) for row in rows}

    def children(self, parent_ids: Iterable[int]) -> dict[int, list[Order]]:
        rows = self._select(
            "SELECT * FROM orders WHERE parent_id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(list(parent_ids)),),
        )
        found: dict[int, list[Order]] = {}
        for row in rows:
            found.setdefault(row["parent_id"], []).append(Order.from_row(row))
        return found

    def same_link(self, service: int, link: str) -> list[Order]:
        rows = self._select(
            "SELECT * FROM orders WHERE origin = 'api' AND service = ? AND link = ?",
            (service, link),
        )
        return [Order.from_row(row) for row in rows]

    def accepted(self, after: int = 0) -> list[dict[str, Any]]:
        """Every accepted ``add``: the judge of duplicate sends."""
        rows = self._select(
            "SELECT id, service, fields, charge, created AS sim_created, created_wall FROM orders"
            " WHERE origin = 'api' AND id > ? ORDER BY id",
            (after,),
        )
        return [{**dict(row), "fields": json.loads(row["fields"])} for row in rows]

    def cancel(self, order_id: int, at: float) -> None:
        """Stop an order and its children at ``at`` (or earlier, if already planned so)."""
        with self.lock:
            self._db.execute(
                "UPDATE orders SET canceled_at = MIN(COALESCE(canceled_at, :at), :at)"
                " WHERE id = :id OR parent_id = :id",
                {"at": at, "id": order_id},
            )

    def set_override(self, order_id: int, override: dict[str, Any] | None) -> None:
        value = json.dumps(override) if override else None
        with self.lock:
            self._db.execute("UPDATE orders SET override = ? WHERE id = ?", (value, order_id))

    def set_outcome(self, order_id: int, outcome: str | None) -> None:
        with self.lock:
            self._db.execute("UPDATE orders SET outcome = ? WHERE id = ?", (outcome, order_id))

    def set_feed_outcome(self, order_id: int, outcome: str | None, stop: float | None) -> None:
        """Rewrite a drip-feed's runs: all Completed, the last one Partial, or stopped at
        ``stop`` (Canceled). ``stop=None`` also lifts a cancel planned when it was placed."""
        last = "Partial" if outcome == "Partial" else "Completed"
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "UPDATE orders SET outcome = ?, canceled_at = ? WHERE id = ?",
                    (outcome, stop, order_id),
                )
                self._db.execute(
                    "UPDATE orders SET outcome = 'Completed', canceled_at = ? WHERE parent_id = ?",
                    (stop, order_id),
                )
                self._db.execute(
                    "UPDATE orders SET outcome = ? WHERE id ="
                    " (SELECT MAX(id) FROM orders WHERE parent_id = ?)",
                    (last, order_id),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- refills --------------------------------------------------------------------------

    def add_refill(self, order_id: int, created: float) -> int:
        with self.lock:
            cursor = self._db.execute(
                "INSERT INTO refills (order_id, created) VALUES (?, ?)", (order_id, created)
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def refills(self, ids: Iterable[int]) -> dict[int, Refill]:
        rows = self._select(
            "SELECT id, order_id, created FROM refills"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),),
        )
        return {row["id"]: Refill(*row) for row in rows}

    def refills_of(self, order_id: int) -> list[Refill]:
        rows = self._select(
            "SELECT id, order_id, created FROM refills WHERE order_id = ?", (order_id,)
        )
        return [Refill(*row) for row in rows]

    def clear(self) -> None:
        """Forget orders and refills. Ids keep growing, so a stale id never finds a new order."""
        with self.lock:
            self._db.execute("DELETE FROM orders")
            self._db.execute("DELETE FROM refills")

    def _select(self, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        with self.lock:
            return self._db.execute(sql, params).fetchall()
