"""State tables: every status a row can have and every move between them, written once.

Each table lists its moves (from, to, what makes it happen, what it does to money, which
module makes it). Every status change of its model goes through `StateTable.move`: one
compare-and-set, `UPDATE … SET status = <to> WHERE status IN (<from>) …`, which refuses a move
the table does not list before any SQL runs. docs/design.md shows the tables as
`StateTable.markdown()` writes them, and tests/panel/test_states.py holds the two together.

The tables: orders/states.py (orders, refills, cancel requests), accounts/states.py (payments).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils import timezone

CREATED = ""  # the `source` of a move that is the row's creation


@dataclass(frozen=True)
class Move:
    source: str  # a status, or CREATED
    target: str
    when: str  # what makes it happen
    money: str = ""  # what it does to the customer's balance
    where: str = ""  # the module that makes it: in the model's app, or a path from the top


class IllegalMove(ValueError):
    """A status change its table does not list: a bug in the caller, not a runtime condition."""


class StateTable:
    def __init__(
        self, model: type[models.Model], statuses: type[models.TextChoices], moves: Iterable[Move]
    ):
        self.model = model
        self.statuses = statuses
        self.moves = tuple(moves)
        self.allowed = frozenset((m.source, m.target) for m in self.moves if m.source)
        self._names = {status.value: status.name for status in statuses}
        unknown = {
            s for m in self.moves for s in (m.source, m.target) if s and s not in self._names
        }
        if unknown:
            raise ValueError(f"{model.__name__} has no status {sorted(unknown)}")

    def move(
        self,
        *,
        source: str | Iterable[str],
        target: str,
        pk: object = None,
        where: Q | None = None,
        **fields,
    ) -> int:
        """Move the rows (the one with `pk`, those matching `where`) that are in one of the
        `source` statuses to `target`, writing `fields` with it; returns how many moved.

        A row no longer in a `source` status is left alone: the caller that lost the race
        sees 0 and does nothing more. `updated_at` is set unless `fields` sets it.
        """
        sources = (source,) if isinstance(source, str) else tuple(source)
        illegal = [s for s in sources if (s, target) not in self.allowed]
        if illegal or not sources:
            raise IllegalMove(f"{self.model.__name__}: {illegal or 'nothing'} → {target}")
        rows = self.model.objects.filter(status__in=sources)
        if pk is not None:
            rows = rows.filter(pk=pk)
        if where is not None:
            rows = rows.filter(where)
        if "updated_at" not in fields and self._has("updated_at"):
            fields["updated_at"] = timezone.now()
        return rows.update(status=target, **fields)

    def _has(self, name: str) -> bool:
        return any(field.name == name for field in self.model._meta.concrete_fields)

    def module(self, move: Move) -> str:
        """The file that makes `move`, as a path from the top of the repository."""
        return move.where if "/" in move.where else f"{self.model._meta.app_label}/{move.where}"

    def markdown(self) -> str:
        """The table as docs/design.md shows it."""
        lines = ["| from | to | when | money | where |", "|---|---|---|---|---|"]
        for m in self.moves:
            source = self._names[m.source] if m.source else "–"
            lines.append(
                f"| {source} | {self._names[m.target]} | {m.when} | {m.money or '–'} | "
                f"`{self.module(m)}` |"
            )
        return "\n".join(lines)
