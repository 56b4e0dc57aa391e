"""Server-rendered SVG charts for the dashboards: a KPI trend with its margin band, and the 0–10 NPS bars.

A month with answers for only part of its days (the month under way, a store opened mid-month) is drawn apart —
hollow point, dashed line to it, "partial" under its label — so a thin month never reads as a collapse; bonus
thresholds can be drawn across the trend as labelled lines.

Plain functions from figures to markup (no Flask, no database, no script): presentation attributes only, which
the Content-Security-Policy allows, and every text escaped. Coordinates are Decimals rounded to 0.1 px.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from markupsafe import Markup, escape

from app.feedback.kpi import nps_category
from app.money import round_half_up

INK = "#1d2433"
MUTED = "#667085"
GRID = "#e4e7ec"
LINE = "#0b6e4f"
BAND = "#0b6e4f"
THRESHOLD = "#b54708"
CATEGORY_COLOURS = {"detractor": "#d92d20", "passive": "#f5a623", "promoter": "#12b76a"}


@dataclass(frozen=True)
class TrendPoint:
    """One period of a trend: its axis label, full label (for the tooltip), figure, margin and n."""

    label: str
    title: str
    value: Decimal | None
    moe: Decimal | None
    n: int
    partial: bool = False


@dataclass(frozen=True)
class ThresholdLine:
    """A horizontal line across a trend: a KPI value where a bonus scheme's payout changes, and its label."""

    value: Decimal
    label: str


def _px(value: Decimal | int) -> str:
    return str(round_half_up(Decimal(value), 1))


def _bounds(
    points: Sequence[TrendPoint], low: Decimal, high: Decimal, step: Decimal, extra: Sequence[Decimal] = ()
) -> tuple[Decimal, Decimal]:
    """A y range on multiples of `step` holding every value and its margin (and `extra` values), within [low, high]."""
    values = [v for v in extra if low <= v <= high]
    for p in points:
        if p.value is not None:
            values += [p.value - (p.moe or 0), p.value + (p.moe or 0)]
    if not values:
        return low, high
    bottom = max(low, (min(values) / step).to_integral_value(ROUND_FLOOR) * step)
    top = min(high, (max(values) / step).to_integral_value(ROUND_CEILING) * step)
    if top - bottom < 2 * step:
        top = min(high, bottom + 2 * step)
        bottom = max(low, top - 2 * step)
    return bottom, top


def _segments(indexed: list[tuple[int, TrendPoint]]) -> list[list[tuple[int, TrendPoint]]]:
    """Runs of consecutive periods that have a figure (a month without answers breaks the line)."""
    runs: list[list[tuple[int, TrendPoint]]] = []
    previous = None
    for i, p in indexed:
        if p.value is None:
            continue
        if previous is None or i != previous + 1:
            runs.append([])
        runs[-1].append((i, p))
        previous = i
    return runs


def trend_chart(
    points: Sequence[TrendPoint],
    *,
    title: str,
    empty_text: str,
    low: Decimal = Decimal(-100),
    high: Decimal = Decimal(100),
    step: Decimal = Decimal(20),
    places: int = 1,
    css_class: str = "chart chart-trend",
    partial_text: str = "partial",
    thresholds: Sequence[ThresholdLine] = (),
) -> Markup:
    """A line of the KPI over the periods with a shaded ±margin band; gaps where a period has no answers.

    Partial periods get a hollow point, a dashed line leading to them and `partial_text` under their label.
    """
    width, height = 640, 250
    left, right, top, bottom = 44, 12, 14, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    y_min, y_max = _bounds(points, low, high, step, [t.value for t in thresholds])
    count = max(len(points), 1)

    def x(i: int) -> Decimal:
        return Decimal(left) + Decimal(plot_w) * (Decimal(2 * i + 1) / Decimal(2 * count))

    def y(value: Decimal) -> Decimal:
        value = min(max(value, y_min), y_max)
        return Decimal(top) + Decimal(plot_h) * (y_max - value) / (y_max - y_min)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]
    tick = y_min
    while tick <= y_max:
        ty = _px(y(tick))
        colour = MUTED if tick == 0 else GRID
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{ty}" y2="{ty}" stroke="{colour}" stroke-width="1"/>')
        parts.append(
            f'<text x="{left - 6}" y="{_px(y(tick) + 4)}" text-anchor="end" font-size="11" fill="{MUTED}">'
            f"{escape(str(tick))}</text>"
        )
        tick += step
    indexed = list(enumerate(points))
    for i, p in indexed:
        parts.append(
            f'<text x="{_px(x(i))}" y="{height - 24}" text-anchor="middle" font-size="11" fill="{MUTED}">'
            f"{escape(p.label)}</text>"
        )
        if p.partial:
            parts.append(
                f'<text class="chart-partial-label" x="{_px(x(i))}" y="{height - 10}" text-anchor="middle" '
                f'font-size="10" font-style="italic" fill="{MUTED}">{escape(partial_text)}</text>'
            )
    for t in thresholds:
        if not y_min <= t.value <= y_max:
            continue
        ty = _px(y(t.value))
        parts.append(
            f'<g class="chart-threshold"><line x1="{left}" x2="{width - right}" y1="{ty}" y2="{ty}" '
            f'stroke="{THRESHOLD}" stroke-width="1" stroke-dasharray="6 3"/>'
            f'<text x="{width - right - 2}" y="{_px(y(t.value) - 3)}" text-anchor="end" font-size="10" '
            f'fill="{THRESHOLD}">{escape(t.label)}</text></g>'
        )
    if not any(p.value is not None for p in points):
        parts.append(
            f'<text x="{left + plot_w // 2}" y="{top + plot_h // 2}" text-anchor="middle" font-size="13" '
            f'fill="{MUTED}" class="chart-empty">{escape(empty_text)}</text>'
        )
    for run in _segments(indexed):
        with_margin = [(i, p) for i, p in run if p.moe is not None]
        if len(with_margin) == len(run) and len(run) > 1:
            upper = [f"{_px(x(i))},{_px(y(p.value + p.moe))}" for i, p in run]  # type: ignore[operator]
            lower = [f"{_px(x(i))},{_px(y(p.value - p.moe))}" for i, p in reversed(run)]  # type: ignore[operator]
            parts.append(
                f'<polygon class="chart-band" points="{" ".join(upper + lower)}" fill="{BAND}" fill-opacity="0.12" '
                'stroke="none"/>'
            )
        for whole in _segments([(i, p) for i, p in run if not p.partial]):
            if len(whole) > 1:
                line = " ".join(f"{_px(x(i))},{_px(y(p.value))}" for i, p in whole)  # type: ignore[arg-type]
                parts.append(
                    f'<polyline class="chart-line" points="{line}" fill="none" stroke="{LINE}" stroke-width="2"/>'
                )
        for (i, p), (j, q) in zip(run, run[1:], strict=False):
            if p.partial or q.partial:  # a partial month is joined by a dashed line, never a solid drop
                parts.append(
                    f'<line class="chart-line-partial" x1="{_px(x(i))}" y1="{_px(y(p.value))}" '  # type: ignore[arg-type]
                    f'x2="{_px(x(j))}" y2="{_px(y(q.value))}" stroke="{LINE}" stroke-width="2" '  # type: ignore[arg-type]
                    'stroke-dasharray="4 4" stroke-opacity="0.7"/>'
                )
    for i, p in indexed:
        if p.value is None:
            continue
        margin = f" ± {round_half_up(p.moe, places)}" if p.moe is not None else ""
        note = f", {partial_text}" if p.partial else ""
        tip = f"{p.title}: {round_half_up(p.value, places)}{margin} (n = {p.n}{note})"
        style = (
            f'class="chart-point chart-point-partial" fill="#fff" stroke="{LINE}" stroke-width="2"'
            if p.partial
            else f'class="chart-point" fill="{LINE}"'
        )
        parts.append(
            f'<circle {style} cx="{_px(x(i))}" cy="{_px(y(p.value))}" r="3.5"><title>{escape(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def distribution_chart(
    counts: Sequence[int],
    *,
    title: str,
    answers_label: str,
    category_labels: dict[str, str],
    css_class: str = "chart chart-distribution",
) -> Markup:
    """Eleven bars, one per NPS score 0–10, coloured by category, each labelled with its count."""
    if len(counts) != 11:
        raise ValueError("an NPS distribution has 11 counts (scores 0 to 10)")
    width, height = 640, 220
    left, right, top, bottom = 12, 12, 22, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = Decimal(plot_w) / 11
    bar = slot * Decimal("0.7")
    tallest = max(max(counts), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{MUTED}" '
        'stroke-width="1"/>',
    ]
    for score, count in enumerate(counts):
        category = nps_category(score)
        bar_h = Decimal(plot_h) * Decimal(count) / Decimal(tallest)
        bx = Decimal(left) + slot * score + (slot - bar) / 2
        by = Decimal(top + plot_h) - bar_h
        centre = _px(bx + bar / 2)
        tip = f"{score}: {count} {answers_label} ({category_labels.get(category, category)})"
        parts.append(
            f'<rect class="bar bar-{category}" data-score="{score}" x="{_px(bx)}" y="{_px(by)}" width="{_px(bar)}" '
            f'height="{_px(bar_h)}" fill="{CATEGORY_COLOURS[category]}"><title>{escape(tip)}</title></rect>'
        )
        parts.append(
            f'<text x="{centre}" y="{_px(by - 5)}" text-anchor="middle" font-size="11" fill="{INK}">{count}</text>'
        )
        parts.append(
            f'<text x="{centre}" y="{height - 10}" text-anchor="middle" font-size="12" fill="{MUTED}">{score}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
