"""The state tables: written once in code (orders/states.py, accounts/states.py), shown as they
are in docs/design.md, and the only way a status changes."""

import ast
import re
from pathlib import Path

import pytest

from accounts.states import PAYMENTS
from orders.models import OrderStatus
from orders.states import CANCELS, ORDERS, REFILLS
from panel.states import IllegalMove

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"orders": ORDERS, "refills": REFILLS, "cancels": CANCELS, "payments": PAYMENTS}


def documented(name: str) -> str:
    text = (ROOT / "docs" / "design.md").read_text()
    found = re.search(rf"<!-- states:{name} -->\n(.*?)\n<!-- /states:{name} -->", text, re.S)
    assert found, f"docs/design.md has no <!-- states:{name} --> block"
    return found.group(1)


@pytest.mark.parametrize("name", list(TABLES))
def test_the_design_doc_shows_each_table_as_the_code_writes_it(name):
    assert documented(name) == TABLES[name].markdown(), (
        f"docs/design.md's {name} table differs from the code; paste this:\n"
        f"{TABLES[name].markdown()}"
    )


@pytest.mark.parametrize("name", list(TABLES))
def test_every_status_is_reached_and_every_move_names_a_module_that_makes_it(name):
    table = TABLES[name]
    reached = {move.target for move in table.moves}
    assert reached == set(table.statuses), set(table.statuses) - reached
    for move in table.moves:
        assert (ROOT / table.module(move)).is_file(), move


def test_a_move_the_table_does_not_list_is_refused_before_any_sql():
    with pytest.raises(IllegalMove):  # no database here: it never gets that far
        ORDERS.move(pk=1, source=OrderStatus.COMPLETED, target=OrderStatus.PENDING)
    with pytest.raises(IllegalMove):  # one bad source is enough
        ORDERS.move(pk=1, source=[OrderStatus.HELD, OrderStatus.FAILED], target=OrderStatus.HELD)


def status_updates(path: Path) -> list[int]:
    """Lines of `path` calling `.update(status=…)` or `.update(**{"status": …})` directly."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "update":
            named = {keyword.arg for keyword in node.keywords}
            if "status" in named:
                found.append(node.lineno)
    return found


def test_no_status_changes_but_through_a_state_table():
    modules = [
        path
        for app in ("accounts", "catalog", "orders", "payments", "demo")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    ]
    offenders = {str(p.relative_to(ROOT)): lines for p in modules if (lines := status_updates(p))}
    assert offenders == {}, "change a status with StateTable.move (panel/states.py)"
