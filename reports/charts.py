"""Charts drawn on the server as SVG: no script, no inline style (the Content Security Policy);
colours and sizes come from classes in static/css/reports.css."""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 12, 28  # room for the axis labels


def bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[Decimal | int]]],
    *,
    title: str,
    money: bool = True,
) -> SafeString:
    """Grouped bars: one group per label, one bar per (name, css class, values) series.
    Negative values go below the zero line. Each bar carries its figure as a tooltip."""
    values = [Decimal(v) for _, _, vs in series for v in vs] or [Decimal(0)]
    high, low = max(max(values), Decimal(0)), min(min(values), Decimal(0))
    span = (high - low) or Decimal(1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: Decimal) -> float:
        return TOP + float((high - Decimal(value)) / span) * plot_h

    zero = y(Decimal(0))
    slot = plot_w / max(len(labels), 1)
    bar_w = max(slot * 0.8 / max(len(series), 1), 1.0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for value in (high, (high + low) / 2, low) if low else (high, high / 2):
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"/><text class="axis" x="{LEFT - 4}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{escape(_short(value, money))}</text>'
        )
    for i, label in enumerate(labels):
        x0 = LEFT + i * slot + slot * 0.1
        for k, (name, css, vs) in enumerate(series):
            value = Decimal(vs[i])
            top, bottom = sorted((y(value), zero))
            parts.append(
                f'<rect class="bar {escape(css)}" x="{x0 + k * bar_w:.1f}" y="{top:.1f}" '
                f'width="{bar_w:.1f}" height="{max(bottom - top, 0.5):.1f}">'
                f"<title>{escape(label)} {escape(name)}: {escape(_full(value, money))}</title></rect>"
            )
    step = max(1, round(len(labels) / 8))  # at most about 8 labels under the axis
    for i in range(0, len(labels), step):
        x = LEFT + i * slot + slot / 2
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    parts.append(
        f'<line class="zero" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above


def _full(value: Decimal, money: bool) -> str:
    return f"{value:,.2f}" if money else f"{value:,.0f}"


def _short(value: Decimal, money: bool) -> str:
    value = Decimal(value)
    for limit, suffix in ((Decimal(10**6), "M"), (Decimal(10**3), "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    if value == value.to_integral_value() or (not money and abs(value) >= 10):
        return f"{value:.0f}"
    return f"{value:.1f}" if not money else f"{value:.2f}"
