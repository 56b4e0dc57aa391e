"""Server-rendered SVG charts for bonus schemes: a payout curve (with an optional KPI marker) and a histogram.

Plain functions from figures to markup (no Flask, no database, no script): presentation attributes only, which the
Content-Security-Policy allows, and every text escaped. The curve is drawn from `engine.achievement` itself, so
the picture can never disagree with what is paid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from markupsafe import Markup, escape

from app.incentives.engine import Curve, achievement, curve_thresholds, validate_curve
from app.money import round_half_up

INK = "#1d2433"
MUTED = "#667085"
GRID = "#e4e7ec"
LINE = "#0b6e4f"
MARK = "#b54708"
BAR = "#0b6e4f"
EPSILON = Decimal("1e-9")

# The natural range of the built-in KPIs: the x axis never runs past them.
KPI_RANGES = {
    "nps": (Decimal(-100), Decimal(100)),
    "csat": (Decimal(0), Decimal(100)),
    "ces": (Decimal(1), Decimal(7)),
    "followup_48h": (Decimal(0), Decimal(100)),
    "turnover": (Decimal(0), Decimal(100)),
    "absenteeism": (Decimal(0), Decimal(100)),
    "response_rate": (Decimal(0), Decimal(100)),
}


def _px(value: Decimal | int) -> str:
    return str(round_half_up(Decimal(value), 1))


def _label(value: Decimal) -> str:
    """A number as a short axis label: no trailing zeros, no exponent."""
    text = format(round_half_up(value, 2).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _nice_step(span: Decimal) -> Decimal:
    """A round step (1, 2 or 5 × 10^k) giving about five ticks over `span`."""
    if span <= 0:
        return Decimal(1)
    raw = span / 5
    magnitude = Decimal(1).scaleb(raw.adjusted())
    for factor in (1, 2, 5, 10):
        step = magnitude * factor
        if step >= raw:
            return step
    return magnitude * 10


@dataclass(frozen=True)
class CurveMarker:
    """Where a KPI sits on its curve: its value and, when known, its 95 % interval."""

    value: Decimal
    lower: Decimal | None = None
    upper: Decimal | None = None
    label: str = ""


def measured_marker(
    measured: Decimal | None, measure: str | None, lower: Decimal | None, upper: Decimal | None
) -> CurveMarker | None:
    """Where a measured KPI sits on its curve, with its 95 % interval when the value or a bound of it was measured
    (a change against another period has no interval of its own)."""
    if measured is None:
        return None
    band = measure in ("value", "interval_bound")
    return CurveMarker(measured, lower if band else None, upper if band else None)


def curve_points(curve: Curve, direction: str, low: Decimal, high: Decimal) -> list[tuple[Decimal, Decimal]]:
    """The corners of the curve between `low` and `high`: a polyline through them draws it exactly.

    Between two thresholds a curve is constant or a straight line, so evaluating the limits on each side of every
    threshold is enough; vertical jumps appear as two points with the same x.
    """
    points: list[tuple[Decimal, Decimal]] = [(low, achievement(curve, low, direction))]
    for t in sorted(set(curve_thresholds(curve))):
        if not low < t < high:
            continue
        for x, y in ((t, achievement(curve, t - EPSILON, direction)), (t, achievement(curve, t, direction))):
            points.append((x, y))
        points.append((t, achievement(curve, t + EPSILON, direction)))
    points.append((high, achievement(curve, high, direction)))
    cleaned: list[tuple[Decimal, Decimal]] = []
    for x, y in points:
        y = round_half_up(y, 4)
        if cleaned and cleaned[-1] == (x, y):
            continue
        cleaned.append((x, y))
    return cleaned


def _x_range(curve: Curve, kpi_code: str, marker: CurveMarker | None) -> tuple[Decimal, Decimal]:
    values = list(curve_thresholds(curve))
    if marker is not None:
        values += [v for v in (marker.value, marker.lower, marker.upper) if v is not None]
    lo, hi = min(values), max(values)
    pad = (hi - lo) / 4 if hi > lo else max(abs(hi) / 4, Decimal(5))
    lo, hi = lo - pad, hi + pad
    if kpi_code in KPI_RANGES:
        floor, ceiling = KPI_RANGES[kpi_code]
        lo, hi = max(lo, floor), min(hi, ceiling)
        if hi <= lo:
            lo, hi = floor, ceiling
    step = _nice_step(hi - lo)
    lo = (lo / step).to_integral_value(ROUND_FLOOR) * step
    hi = (hi / step).to_integral_value(ROUND_CEILING) * step
    return lo, hi


def curve_chart(
    curve: Curve | None,
    direction: str,
    *,
    title: str,
    kpi_code: str = "",
    marker: CurveMarker | None = None,
    empty_text: str = "",
    x_label: str = "",
    css_class: str = "chart chart-curve",
    sparse: bool = False,
) -> Markup:
    """The payout curve: KPI value across, achievement % up; thresholds ticked; an optional marker and interval.

    `sparse` draws the shape only, for a printed statement that states the curve in words beside it: the 0 % and
    100 % lines, the thresholds, the marker and its interval, and no text at all (printed 118 pt wide the labels
    were under 3 pt, and WeasyPrint lays each SVG label out letter by letter: 10 % of a statement's time).
    """
    width, height = 480, 240
    left, right, top, bottom = 44, 14, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>"
    )
    if curve is None or validate_curve(curve, direction):
        return Markup(
            head + f'<text class="chart-empty" x="{width // 2}" y="{height // 2}" text-anchor="middle" '
            f'font-size="13" fill="{MUTED}">{escape(empty_text)}</text></svg>'
        )
    x_min, x_max = _x_range(curve, kpi_code, marker)
    points = curve_points(curve, direction, x_min, x_max)
    top_pct = max([y for _, y in points] + [Decimal(100)])
    y_step = Decimal(50) if top_pct > 100 else Decimal(25)
    y_max = ((top_pct * Decimal("1.05")) / y_step).to_integral_value(ROUND_CEILING) * y_step

    def sx(value: Decimal) -> Decimal:
        value = min(max(value, x_min), x_max)
        return Decimal(left) + Decimal(plot_w) * (value - x_min) / (x_max - x_min)

    def sy(pct: Decimal) -> Decimal:
        return Decimal(top) + Decimal(plot_h) * (y_max - pct) / y_max

    parts = [head]
    tick = Decimal(0)
    while tick <= y_max:
        if not sparse or tick in (0, 100):
            ty = _px(sy(tick))
            colour = MUTED if tick == 0 else GRID
            parts.append(
                f'<line x1="{left}" x2="{width - right}" y1="{ty}" y2="{ty}" stroke="{colour}" stroke-width="1"/>'
            )
            if not sparse:
                parts.append(
                    f'<text x="{left - 6}" y="{_px(sy(tick) + 4)}" text-anchor="end" font-size="11" fill="{MUTED}">'
                    f"{_label(tick)} %</text>"
                )
        tick += y_step
    if marker is not None and marker.lower is not None and marker.upper is not None:
        bx1, bx2 = sx(min(marker.lower, marker.upper)), sx(max(marker.lower, marker.upper))
        parts.append(
            f'<rect class="chart-interval" x="{_px(bx1)}" y="{top}" width="{_px(bx2 - bx1)}" height="{plot_h}" '
            f'fill="{MARK}" fill-opacity="0.12"/>'
        )
    for t in sorted(set(curve_thresholds(curve))):
        if not x_min <= t <= x_max:
            continue
        tx = _px(sx(t))
        parts.append(
            f'<line class="chart-threshold" x1="{tx}" x2="{tx}" y1="{top}" y2="{top + plot_h}" stroke="{GRID}" '
            'stroke-dasharray="3 3" stroke-width="1"/>'
        )
        if not sparse:
            parts.append(
                f'<text x="{tx}" y="{top + plot_h + 15}" text-anchor="middle" font-size="11" fill="{INK}">'
                f"{escape(_label(t))}</text>"
            )
    for edge in () if sparse else (x_min, x_max):
        parts.append(
            f'<text x="{_px(sx(edge))}" y="{top + plot_h + 15}" text-anchor="{"start" if edge == x_min else "end"}" '
            f'font-size="10" fill="{MUTED}">{escape(_label(edge))}</text>'
        )
    if x_label and not sparse:
        parts.append(
            f'<text x="{left + plot_w // 2}" y="{height - 6}" text-anchor="middle" font-size="11" fill="{MUTED}">'
            f"{escape(x_label)}</text>"
        )
    line = " ".join(f"{_px(sx(x))},{_px(sy(y))}" for x, y in points)
    parts.append(f'<polyline class="chart-line" points="{line}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
    if marker is not None:
        pct = achievement(curve, marker.value, direction)
        mx, my = _px(sx(marker.value)), _px(sy(pct))
        tip = marker.label or f"{_label(marker.value)} → {_label(round_half_up(pct, 2))} %"
        parts.append(
            f'<line class="chart-marker" x1="{mx}" x2="{mx}" y1="{top}" y2="{top + plot_h}" stroke="{MARK}" '
            'stroke-width="1.5"/>'
        )
        tooltip = "" if sparse else f"<title>{escape(tip)}</title>"
        parts.append(f'<circle class="chart-point" cx="{mx}" cy="{my}" r="5" fill="{MARK}">{tooltip}</circle>')
    parts.append("</svg>")
    return Markup("".join(parts))


def round_step(largest: Decimal, most: int) -> Decimal:
    """The smallest round width (1, 2, 2.5 or 5 × 10^k, at least a cent) covering `largest` in at most `most` bins."""
    if largest <= 0:
        return Decimal(1)
    step = Decimal(1).scaleb((largest / most).adjusted())
    while True:
        for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
            if step * factor * most >= largest:
                return max(Decimal(format((step * factor).normalize(), "f")), Decimal("0.01"))
        step *= 10


def histogram_bins(amounts: Sequence[Decimal], bins: int = 10) -> list[tuple[Decimal, Decimal, int]]:
    """Count amounts in at most `bins` ranges with round edges (0–50, 50–100…), after a bar for zero amounts.

    A range holds the amounts above its lower edge up to and including its upper edge.
    """
    if not amounts:
        return []
    largest = max(amounts)
    paid = [a for a in amounts if a > 0]
    result = [(Decimal(0), Decimal(0), len(amounts) - len(paid))]
    if largest <= 0:
        return result
    width = round_step(largest, bins)
    used = int((largest / width).to_integral_value(ROUND_CEILING))
    counts = [0] * used
    for amount in paid:
        index = int((amount / width).to_integral_value(ROUND_CEILING)) - 1
        counts[min(index, used - 1)] += 1
    result += [(width * i, width * (i + 1), count) for i, count in enumerate(counts)]
    return result


def histogram_chart(
    bins: Sequence[tuple[Decimal, Decimal, int]],
    *,
    title: str,
    label_of: Callable[[Decimal, Decimal], str] | None = None,
    edge_text: Callable[[Decimal], str] = _label,
    css_class: str = "chart chart-histogram",
) -> Markup:
    """One bar per range of amounts, labelled with its count; the axis shows the round edges in `edge_text`.

    The first bin (zero to zero) is the bar of amounts of nothing, labelled with `edge_text(0)` under it; the other
    bars stand between ticks labelled with their edges. `label_of(low, high)` names a range in its tooltip.
    """
    width, height = 640, 240
    left, right, top, bottom = 12, 12, 22, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    base = top + plot_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>',
        f'<line x1="{left}" x2="{width - right}" y1="{base}" y2="{base}" stroke="{MUTED}" stroke-width="1"/>',
    ]
    if bins:
        slot = Decimal(plot_w) / len(bins)
        bar = slot * Decimal("0.8")
        tallest = max(max(count for _, _, count in bins), 1)
        for i, (low, high, count) in enumerate(bins):
            bar_h = Decimal(plot_h) * count / tallest
            bx = Decimal(left) + slot * i + (slot - bar) / 2
            by = Decimal(base) - bar_h
            name = label_of(low, high) if label_of else f"{edge_text(low)} – {edge_text(high)}"
            centre = _px(bx + bar / 2)
            parts.append(
                f'<rect class="bar" x="{_px(bx)}" y="{_px(by)}" width="{_px(bar)}" height="{_px(bar_h)}" '
                f'fill="{BAR}"><title>{escape(name)}: {count}</title></rect>'
            )
            parts.append(
                f'<text x="{centre}" y="{_px(by - 5)}" text-anchor="middle" font-size="11" fill="{INK}">{count}</text>'
            )
            if high == low:  # the bar of zero amounts: its value under it
                parts.append(
                    f'<text class="chart-edge" x="{centre}" y="{base + 16}" text-anchor="middle" font-size="10" '
                    f'fill="{MUTED}">{escape(edge_text(low))}</text>'
                )
                continue
            edge = _px(Decimal(left) + slot * (i + 1))
            parts.append(f'<line x1="{edge}" x2="{edge}" y1="{base}" y2="{base + 4}" stroke="{MUTED}"/>')
            parts.append(
                f'<text class="chart-edge" x="{edge}" y="{base + 16}" text-anchor="middle" font-size="10" '
                f'fill="{MUTED}">{escape(edge_text(high))}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
