"""Charts drawn on the server as SVG: coordinates only; the look is in static/css/staff.css."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

WIDTH, HEIGHT, PAD = 300, 80, 4


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: str  # the polyline's "x,y x,y …"
    area: str  # the same, closed along the bottom, for the fill
    threshold_y: float | None  # the low-balance line, if inside the chart
    low: str  # the smallest value shown, for the label
    high: str
    label: str  # for screen readers


def line_chart(
    points: list[tuple[datetime, Decimal]],
    *,
    start: datetime,
    end: datetime,
    threshold: Decimal | None = None,
    label: str = "",
) -> Chart | None:
    """The values over [start, end], scaled into the chart; None with no point to draw."""
    if not points:
        return None
    values = [v for _, v in points] + ([threshold] if threshold is not None else [])
    low, high = min(min(values), Decimal(0)), max(values)
    span = (high - low) or Decimal(1)
    seconds = max((end - start).total_seconds(), 1)
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def x(at: datetime) -> float:
        return round(PAD + inner_w * max(0.0, (at - start).total_seconds()) / seconds, 1)

    def y(value: Decimal) -> float:
        return round(PAD + inner_h * float((high - value) / span), 1)

    coords = [(x(at), y(v)) for at, v in points]
    if len(coords) == 1:  # one reading: a flat line up to now
        coords.append((float(WIDTH - PAD), coords[0][1]))
    line = " ".join(f"{a},{b}" for a, b in coords)
    bottom = HEIGHT - PAD
    area = f"{coords[0][0]},{bottom} {line} {coords[-1][0]},{bottom}"
    return Chart(
        WIDTH,
        HEIGHT,
        line,
        area,
        y(threshold) if threshold is not None else None,
        f"{low:,.2f}",
        f"{high:,.2f}",
        label,
    )
