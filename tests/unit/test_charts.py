"""The SVG charts: bars coloured by NPS category, gaps for empty months, escaped text, no inline style or script."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from app.feedback.charts import CATEGORY_COLOURS, TrendPoint, category_of, distribution_chart, trend_chart

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
    assert [b.get("fill") for b in bars] == [CATEGORY_COLOURS[category_of(s)] for s in range(11)]
    assert [category_of(s) for s in (0, 6, 7, 8, 9, 10)] == ["detractor"] * 2 + ["passive"] * 2 + ["promoter"] * 2
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
