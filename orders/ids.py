"""Ids as customers send them (the API's `order`, `orders`, `refills`; a page's id): one parser
for one id and one for a comma-separated list, so every action reads them alike.

An id is ASCII digits, at most 18 of them (no sign, no "1_000", no "١٠٠"); anything else in a
list is kept as text, so that it answers its own per-id error.
"""

import re
from typing import NamedTuple

MAX_IDS = 100  # ids in one list, as providers accept
MAX_DIGITS = 18
_PLAIN = re.compile(r"[0-9]{1,18}(?:,[0-9]{1,18})*")

TOO_MANY = {"error": "Incorrect request"}
NONE_GIVEN = {"error": "Incorrect order ID"}


class IdList(NamedTuple):
    ids: tuple[int | str, ...]  # each once, in the order given
    numbers: tuple[int, ...]  # the ids that are numbers
    others: tuple[str, ...]  # the ids that are not (at most 50 characters each)
    array: str  # `numbers` as a PostgreSQL array literal: one parameter, not one per number


def parse_id(raw: object) -> int | None:
    """One id from any text, or None."""
    text = str(raw or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return int(text)
    return None


def parse_id_list(raw: object) -> IdList | dict:
    """A comma-separated list, or the API's error answer: more than MAX_IDS ids, or none."""
    raw = str(raw)
    if _PLAIN.fullmatch(raw):  # what clients send: numbers and commas only, read at once
        parts = raw.split(",")
        if len(parts) > MAX_IDS:
            return TOO_MANY
        numbers = tuple(dict.fromkeys(map(int, parts)))
        # Numbers sent once each are already the array, as sent.
        array = "{" + raw + "}" if len(numbers) == len(parts) else array_of(numbers)
        return IdList(numbers, numbers, (), array)
    return _parse_each(raw)


def _parse_each(raw: str) -> IdList | dict:
    """The general case, id by id (parse_id_list's fast path must agree with it)."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts:
        return NONE_GIVEN
    if len(parts) > MAX_IDS:
        return TOO_MANY
    ids: dict[int | str, None] = {}  # in order, once each
    for part in parts:
        number = parse_id(part)
        ids[number if number is not None else part[:50]] = None
    numbers = tuple(i for i in ids if isinstance(i, int))
    others = tuple(i for i in ids if isinstance(i, str))
    return IdList(tuple(ids), numbers, others, array_of(numbers))


def array_of(numbers) -> str:
    """Numbers as a PostgreSQL array literal: one text parameter instead of one per number,
    whose quoting costs more than the query."""
    return "{" + ",".join(map(str, numbers)) + "}"
