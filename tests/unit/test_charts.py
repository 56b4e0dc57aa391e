"""The SVG charts: bars coloured by NPS category, gaps for empty months, escaped text, no inline style or script."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from app.feedback.charts import (
    CATEGORY_COLOURS,
    ThresholdLine,
    TrendPoint,
    distribution_chart,
    trend_chart,
)
from app.feedback.kpi import nps_category
from app.reports.charts import ScatterPoint, place_labels, scatter_chart

SVG = "{http://www.w3.org/2000/svg}"
LABELS = {"promoter": "promoter", "passive": "passive", "detractor": "detractor"}


def _parse(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def _point(label: str, value: str | None, moe: str | None = "10.0", n: int = 50) -> TrendPoint:
    return TrendPoint(label, label, Decimal(value) if value else None, Decimal(moe) if moe and value else None, n)


def test_distribution_has_eleven_bars_coloured_by_category():
    svg = _parse(
        distribution_chart(
            [1, 0, 0, 0, 0, 0, 2, 3, 4, 5, 6], title="t", answers_label="answers", category_labels=LABELS
        )
    )
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == 11
    assert [b.get("fill") for b in bars] == [CATEGORY_COLOURS[nps_category(s)] for s in range(11)]
    assert [nps_category(s) for s in (0, 6, 7, 8, 9, 10)] == ["detractor"] * 2 + ["passive"] * 2 + ["promoter"] * 2
    heights = [Decimal(b.get("height")) for b in bars]
    assert heights[10] == max(heights) and heights[1] == 0
    assert bars[9].find(f"{SVG}title").text == "9: 5 answers (promoter)"


def test_distribution_needs_eleven_counts():
    with pytest.raises(ValueError):
        distribution_chart([1, 2, 3], title="t", answers_label="a", category_labels=LABELS)


def test_trend_breaks_the_line_at_months_without_answers():
    points = [
        _point("01", "30.0"),
        _point("02", "35.5"),
        _point("03", None),
        _point("04", "40.0"),
        _point("05", "20.0"),
    ]
    svg = _parse(trend_chart(points, title="NPS", empty_text="none"))
    assert len(svg.findall(f"{SVG}polyline")) == 2
    assert len(svg.findall(f"{SVG}polygon")) == 2  # one margin band per run
    circles = svg.findall(f"{SVG}circle")
    assert len(circles) == 4
    assert circles[1].find(f"{SVG}title").text == "02: 35.5 ± 10.0 (n = 50)"
    ys = [Decimal(c.get("cy")) for c in circles]
    assert ys[2] < ys[0] < ys[3]  # 40 drawn above 30, 30 above 20


def test_trend_without_any_answer_says_so():
    svg = trend_chart([_point("01", None), _point("02", None)], title="NPS", empty_text="No answers")
    assert "No answers" in svg and "<polyline" not in svg


def test_text_is_escaped_and_nothing_needs_inline_style_or_script():
    svg = str(trend_chart([_point("<b>", "10.0"), _point("x", "12.0")], title='"><script>', empty_text="-"))
    assert "<script>" not in svg and "<b>" not in svg and "&lt;b&gt;" in svg
    assert not re.search(r"\sstyle=|\son\w+=", svg)
    _parse(svg)  # well-formed


# --- partial months and bonus thresholds -------------------------------------------------------------------


def test_a_partial_month_is_hollow_dashed_and_labelled_not_drawn_as_a_fall():
    points = [_point("01", "40.0"), _point("02", "42.0"), TrendPoint("03", "03", Decimal("-20.0"), None, 4, True)]
    svg = _parse(trend_chart(points, title="NPS", empty_text="none", partial_text="partiel"))
    solid = svg.findall(f"{SVG}polyline")
    assert len(solid) == 1 and solid[0].get("points").count(",") == 2  # the solid line stops at February
    dashed = svg.findall(f"{SVG}line[@class='chart-line-partial']")
    assert len(dashed) == 1 and dashed[0].get("stroke-dasharray")
    hollow = svg.findall(f"{SVG}circle[@class='chart-point chart-point-partial']")
    assert len(hollow) == 1 and hollow[0].get("fill") == "#fff"
    assert hollow[0].find(f"{SVG}title").text == "03: -20.0 (n = 4, partiel)"
    assert [t.text for t in svg.findall(f"{SVG}text[@class='chart-partial-label']")] == ["partiel"]


def test_a_partial_first_month_breaks_no_solid_line_of_whole_months():
    points = [TrendPoint("01", "01", Decimal(10), None, 3, True), _point("02", "40.0"), _point("03", "45.0")]
    svg = _parse(trend_chart(points, title="NPS", empty_text="none"))
    assert len(svg.findall(f"{SVG}polyline")) == 1
    assert len(svg.findall(f"{SVG}line[@class='chart-line-partial']")) == 1


def test_bonus_thresholds_are_labelled_horizontal_lines_inside_the_scale():
    lines = [ThresholdLine(Decimal(30), "S: 30 → 50 %"), ThresholdLine(Decimal(70), "S: 70 → 150 %")]
    svg = _parse(trend_chart([_point("01", "35.0", "5.0")], title="NPS", empty_text="-", thresholds=lines))
    groups = svg.findall(f"{SVG}g[@class='chart-threshold']")
    assert [g.find(f"{SVG}text").text for g in groups] == ["S: 30 → 50 %", "S: 70 → 150 %"]
    ys = [Decimal(g.find(f"{SVG}line").get("y1")) for g in groups]
    point_y = Decimal(svg.find(f"{SVG}circle").get("cy"))
    assert ys[1] < point_y < ys[0]  # 70 above the store's 35, 30 below it: the scale stretched to show both


# --- cost against NPS ---------------------------------------------------------------------------------------


def _boxes(svg: ElementTree.Element) -> list[tuple[float, float, float, float]]:
    """Each point label's box, estimated as the chart estimates it (9 px font)."""
    boxes = []
    for t in svg.findall(f"{SVG}text[@class='chart-point-label']"):
        x, y, w = float(t.get("x")), float(t.get("y")), len(t.text) * 9 * 0.62
        left = {"middle": x - w / 2, "start": x, "end": x - w}[t.get("text-anchor")]
        boxes.append((left, y - 9, left + w, y + 2))
    return boxes


def test_cost_against_nps_has_axis_titles_and_no_two_store_labels_overlap():
    crowd = [ScatterPoint(f"S{i:02d}", Decimal(30) + Decimal(i) / 10, Decimal(1000 + i)) for i in range(12)]
    crowd.append(ScatterPoint("S99", Decimal(-20), Decimal(200)))
    svg = _parse(scatter_chart(crowd, x_label="NPS (points)", y_label="Bonus cost (€)", y_text=lambda v: f"{v} €"))
    titles = [t.text for t in svg.findall(f"{SVG}text[@class='chart-axis-title']")]
    assert titles == ["NPS (points)", "Bonus cost (€)"]
    boxes = _boxes(svg)
    assert 1 < len(boxes) < len(crowd)  # the crowd cannot all be labelled; the lone store is
    assert "S99" in [t.text for t in svg.findall(f"{SVG}text[@class='chart-point-label']")]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    assert len(svg.findall(f"{SVG}circle")) == len(crowd)  # every store keeps its point and tooltip


def test_labels_go_where_there_is_room():
    spots = place_labels([(100, 100, "AAA"), (100, 100, "BBB")], font_size=9, area=(0, 0, 400, 300))
    assert spots[0] == (100, 93, "middle") and spots[1] is not None and spots[1][1] > 100
