"""Server-rendered SVG for HR reports: bars, a histogram and a scatter (payout curves, on statements too, are
app.incentives.charts.curve_chart). Plain functions from Decimals to markup: presentation attributes only (the CSP
allows them, WeasyPrint draws them), every text escaped, coordinates rounded to 0.1 px.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from markupsafe import Markup, escape

from app.incentives.charts import _label, _px
from app.incentives.charts import histogram_bins as histogram_bins  # one histogram for designer and reports
from app.incentives.charts import histogram_chart as histogram_chart

INK = "#1d2433"
MUTED = "#667085"
GRID = "#e4e7ec"
BRAND = "#0b6e4f"
ACCENT = "#d92d20"
BAND = "#fdb022"


def _nice_ceiling(value: Decimal) -> Decimal:
    """A round number at or above `value` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    base = Decimal(1).scaleb(exponent)
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if base * factor >= value:
            return base * factor
    return base * 10  # pragma: no cover


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    title: str = ""


def bar_chart(
    bars: Sequence[Bar], *, title: str = "", value_text: Callable[[Decimal], str] = _label, width: int = 640
) -> Markup:
    """Horizontal bars, one per label, longest first as given."""
    row, left, right, top_pad = 22, 120, 90, 6
    height = top_pad * 2 + row * max(len(bars), 1)
    top_value = max((b.value for b in bars), default=Decimal(0))
    scale_to = top_value if top_value > 0 else Decimal(1)
    plot_w = width - left - right
    out = [
        f'<svg class="chart chart-bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}">'
    ]
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for i, b in enumerate(bars):
        y = top_pad + i * row
        w = max(Decimal(0), b.value) * plot_w / scale_to
        out.append(
            f'<text x="{left - 6}" y="{y + row / 2}" font-size="11" fill="{INK}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(b.label)}</text>'
        )
        out.append(
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{_px(w)}" height="{row - 6}" fill="{BRAND}">'
            f"<title>{escape(b.title or b.label)}</title></rect>"
        )
        out.append(
            f'<text x="{_px(left + w + 4)}" y="{y + row / 2}" font-size="11" fill="{MUTED}" '
            f'dominant-baseline="middle">{escape(value_text(b.value))}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class ScatterPoint:
    label: str
    x: Decimal
    y: Decimal


Box = tuple[float, float, float, float]  # left, top, right, bottom (chart coordinates, not money)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(
    anchors: Sequence[tuple[float, float, str]], *, font_size: float, area: Box, radius: float = 4
) -> list[tuple[float, float, str] | None]:
    """Put each point's label beside it where it overlaps no other label or point: (x, y, text-anchor) or None.

    Tries above, below, right, left, then the four corners; a label with no free place is left out (the point's
    tooltip and the table beside the chart still name it). Widths are estimated from the number of characters.
    """
    dots: list[Box] = [(x - radius, y - radius, x + radius, y + radius) for x, y, _text in anchors]
    placed: list[Box] = []
    result: list[tuple[float, float, str] | None] = []
    gap = radius + 3
    for x, y, text in anchors:
        w, h = len(text) * font_size * 0.62, font_size
        options = [
            (x, y - gap, "middle"),
            (x, y + gap + h, "middle"),
            (x + gap, y + h / 3, "start"),
            (x - gap, y + h / 3, "end"),
            (x + gap, y - gap, "start"),
            (x - gap, y - gap, "end"),
            (x + gap, y + gap + h, "start"),
            (x - gap, y + gap + h, "end"),
        ]
        chosen = None
        for tx, ty, anchor in options:
            left = tx - w / 2 if anchor == "middle" else tx if anchor == "start" else tx - w
            box = (left, ty - h, left + w, ty + 2)
            inside = box[0] >= area[0] and box[1] >= area[1] and box[2] <= area[2] and box[3] <= area[3]
            if inside and not any(_overlaps(box, other) for other in placed + dots):
                chosen = (tx, ty, anchor)
                placed.append(box)
                break
        result.append(chosen)
    return result


def scatter_chart(
    points: Sequence[ScatterPoint],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    y_text: Callable[[Decimal], str] = _label,
    width: int = 640,
    height: int = 340,
) -> Markup:
    """One labelled dot per store: x against y, axes from their data (x may be negative, as NPS can be).

    Axis titles (with their units) sit along the axes; point labels are placed so that none overlaps another
    label or a point, and left out where no place is free (the tooltip still names the point).
    """
    left, right, upper, lower = 72, 16, 12, 44
    plot_w, plot_h = width - left - right, height - upper - lower
    xs = [p.x for p in points] or [Decimal(0), Decimal(100)]
    ys = [p.y for p in points] or [Decimal(0), Decimal(1)]
    x_low, x_high = min(xs), max(xs)
    if x_high == x_low:
        x_low, x_high = x_low - 10, x_high + 10
    pad = (x_high - x_low) / 10
    x_low, x_high = x_low - pad, x_high + pad
    y_high = _nice_ceiling(max(ys) * Decimal("1.1")) if max(ys) > 0 else Decimal(1)
    y_low = min(Decimal(0), min(ys))

    def sx(x: Decimal) -> Decimal:
        return left + (x - x_low) * plot_w / (x_high - x_low)

    def sy(y: Decimal) -> Decimal:
        return upper + plot_h - (y - y_low) * plot_h / (y_high - y_low)

    out = [
        f'<svg class="chart chart-scatter" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}">'
    ]
    if title:
        out.append(f"<title>{escape(title)}</title>")
    base = _px(upper + plot_h)
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{MUTED}"/>')
    out.append(f'<line x1="{left}" y1="{upper}" x2="{left}" y2="{base}" stroke="{MUTED}"/>')
    for value in (x_low + pad, x_high - pad):
        out.append(
            f'<text x="{_px(sx(value))}" y="{_px(upper + plot_h + 14)}" font-size="10" fill="{MUTED}" '
            f'text-anchor="middle">{_label(value.quantize(Decimal("0.1"), rounding=ROUND_CEILING))}</text>'
        )
    for value in (y_low, y_high):
        out.append(
            f'<text x="{left - 4}" y="{_px(sy(value))}" font-size="10" fill="{MUTED}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(y_text(value))}</text>'
        )
    for p in points:
        x, y = _px(sx(p.x)), _px(sy(p.y))
        out.append(
            f'<circle class="chart-point" cx="{x}" cy="{y}" r="4" fill="{BRAND}">'
            f"<title>{escape(p.label)}: {_label(p.x)} / {escape(y_text(p.y))}</title></circle>"
        )
    anchors = [(float(sx(p.x)), float(sy(p.y)), p.label) for p in points]
    area = (float(left), 0.0, float(width - right), float(upper + plot_h))
    for p, spot in zip(points, place_labels(anchors, font_size=9, area=area), strict=True):
        if spot is not None:
            tx, ty, anchor = spot
            out.append(
                f'<text class="chart-point-label" x="{tx:.1f}" y="{ty:.1f}" font-size="9" fill="{INK}" '
                f'text-anchor="{anchor}">{escape(p.label)}</text>'
            )
    if x_label:
        out.append(
            f'<text class="chart-axis-title" x="{left + plot_w / 2}" y="{height - 4}" font-size="11" fill="{INK}" '
            f'text-anchor="middle">{escape(x_label)}</text>'
        )
    if y_label:
        out.append(
            f'<text class="chart-axis-title" x="12" y="{upper + plot_h / 2}" font-size="11" fill="{INK}" '
            f'text-anchor="middle" transform="rotate(-90 12 {upper + plot_h / 2})">{escape(y_label)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))
