"""What the landing page shows from the catalog: the platforms served and featured services."""

import re
from dataclasses import dataclass
from decimal import Decimal

from catalog.listing import CategorySummary, category_summaries, on_sale


@dataclass(frozen=True)
class Platform:
    name: str
    services: int
    from_rate: Decimal


def platforms(names: list[str], summaries: list[CategorySummary] | None = None) -> list[Platform]:
    """Each platform named in the site settings, with the services of the categories whose name
    contains it (as a word), and its lowest rate; with no names, the first word of each
    category. Platforms with no service on sale are left out."""
    summaries = category_summaries() if summaries is None else summaries
    if not names:
        names = list(dict.fromkeys(s.name.split()[0] for s in summaries if s.name.split()))
    found = []
    for name in names:
        word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
        matched = [s for s in summaries if word.search(s.name)]
        if matched:
            found.append(
                Platform(
                    name=name,
                    services=sum(s.count for s in matched),
                    from_rate=min(s.from_rate for s in matched),
                )
            )
    return found


def featured_services(ids: list[int]) -> list[dict]:
    """The featured services still on sale, in catalog order, with their live rates."""
    if not ids:
        return []
    return list(
        on_sale()
        .filter(id__in=ids)
        .order_by("category__position", "category__name", "position", "id")
        .values("id", "name", "rate", "min", "max", "refill", "category__name")
    )
