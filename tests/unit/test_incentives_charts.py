"""The curve and histogram SVGs: drawn from the engine's own achievement, valid markup, no inline style or script."""

from __future__ import annotations

from decimal import Decimal
from xml.etree import ElementTree

from app.incentives.charts import (
    CurveMarker,
    curve_chart,
    curve_points,
    histogram_bins,
    histogram_chart,
    round_step,
)
from app.incentives.engine import LinearCurve, StepsCurve

SVG = "{http://www.w3.org/2000/svg}"
D = Decimal
WORKED_NPS = LinearCurve(D(30), D(50), D(50), D(70), D(150))
WORKED_CSAT = StepsCurve(((D(80), D(50)), (D(85), D(100)), (D(90), D(120))))


def parse(markup) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def test_a_linear_curve_jumps_at_the_threshold_then_rises_and_flattens():
    points = curve_points(WORKED_NPS, "higher", D(0), D(100))
    assert points[0] == (D(0), D(0))
    assert (D(30), D(0)) in points and (D(30), D(50)) in points
    assert (D(50), D(100)) in points and (D(70), D(150)) in points
    assert points[-1] == (D(100), D(150))
    assert [x for x, _ in points] == sorted(x for x, _ in points)


def test_steps_for_a_lower_is_better_kpi_fall_from_left_to_right():
    curve = StepsCurve(((D(5), D(50)), (D(3), D(100))))
    points = curve_points(curve, "lower", D(0), D(8))
    assert points[0] == (D(0), D(100))
    assert points[-1] == (D(8), D(0))
    ys = [y for _, y in points]
    assert ys == sorted(ys, reverse=True)


def test_the_curve_chart_is_clean_svg_with_the_thresholds_ticked():
    svg = parse(curve_chart(WORKED_CSAT, "higher", title="CSAT <curve>", kpi_code="csat"))
    assert svg.tag == f"{SVG}svg"
    assert svg.find(f"{SVG}title").text == "CSAT <curve>"
    assert len(svg.findall(f"{SVG}polyline")) == 1
    labels = {t.text for t in svg.iter(f"{SVG}text")}
    assert {"80", "85", "90"} <= labels
    assert all("style" not in element.attrib for element in svg.iter())
    assert not list(svg.iter(f"{SVG}script"))


def test_a_marker_shows_where_the_kpi_sits_with_its_interval():
    marker = CurveMarker(D("35.0"), D("20.8"), D("49.2"))
    svg = parse(curve_chart(WORKED_NPS, "higher", title="NPS", kpi_code="nps", marker=marker))
    assert svg.find(f".//{SVG}rect[@class='chart-interval']") is not None
    point = svg.find(f".//{SVG}circle[@class='chart-point']")
    assert point.find(f"{SVG}title").text == "35 → 62.5 %"


def test_a_sparse_curve_keeps_the_shape_thresholds_and_marker_without_any_text():
    marker = CurveMarker(D("35.0"), D("20.8"), D("49.2"))
    drawn = {"title": "NPS", "kpi_code": "nps", "marker": marker, "x_label": "NPS"}
    full = parse(curve_chart(WORKED_NPS, "higher", **drawn))
    sparse = parse(curve_chart(WORKED_NPS, "higher", sparse=True, **drawn))
    assert not list(sparse.iter(f"{SVG}text"))
    assert {"NPS", "150 %", "30", "70"} <= {t.text for t in full.iter(f"{SVG}text")}
    assert len(sparse.findall(f"{SVG}line[@class='chart-threshold']")) == 3
    assert len(sparse.findall(f"{SVG}line")) == 3 + 2 + 1  # thresholds, the 0 % and 100 % lines, the marker
    assert sparse.find(f"{SVG}polyline").get("points") == full.find(f"{SVG}polyline").get("points")
    assert sparse.find(f".//{SVG}rect[@class='chart-interval']") is not None
    point = sparse.find(f".//{SVG}circle[@class='chart-point']")
    assert point.get("cx") == full.find(f".//{SVG}circle[@class='chart-point']").get("cx")
    assert point.find(f"{SVG}title") is None


def test_a_missing_or_contradictory_curve_shows_a_hint_instead():
    empty = parse(curve_chart(None, "higher", title="t", empty_text="Fill in the curve"))
    assert empty.find(f".//{SVG}text[@class='chart-empty']").text == "Fill in the curve"
    wrong = parse(curve_chart(LinearCurve(D(30), D(50), D(20), D(70), D(150)), "higher", title="t", empty_text="x"))
    assert wrong.find(f"{SVG}polyline") is None


def test_nps_axes_stay_within_minus_100_and_100():
    points = curve_points(LinearCurve(D(-90), D(0), D(0), D(90), D(120)), "higher", D(-100), D(100))
    svg = parse(curve_chart(LinearCurve(D(-90), D(0), D(0), D(90), D(120)), "higher", title="t", kpi_code="nps"))
    labels = {t.text for t in svg.iter(f"{SVG}text")}
    assert "-100" in labels and "100" in labels
    assert points[0][0] == D(-100)


def test_histogram_bins_give_nothing_paid_its_own_bar_and_count_everyone():
    amounts = [D("0.00"), D("0.00"), D("10.00"), D("100.00"), D("99.99"), D("50.00")]
    bins = histogram_bins(amounts, bins=4)
    assert bins[0] == (D(0), D(0), 2)
    assert sum(count for _, _, count in bins) == len(amounts)
    assert bins[-1][1] >= D("100.00")
    svg = parse(histogram_chart(bins, title="amounts"))
    assert len(svg.findall(f"{SVG}rect")) == 5
    assert histogram_bins([]) == []


def test_histogram_edges_are_round_amounts_chosen_from_the_range():
    amounts = [D("0.00"), D("12.40"), D("290.63"), D("290.63"), D("50.00"), D("50.01")]
    bins = histogram_bins(amounts)
    assert [(low, high) for low, high, _ in bins[1:]] == [(D(50) * i, D(50) * (i + 1)) for i in range(6)]
    assert [count for _, _, count in bins] == [1, 2, 1, 0, 0, 0, 2]  # 50.00 in 0–50, 50.01 in 50–100
    assert histogram_bins([D("1234.56")], bins=10)[-1][1] == D(1400)  # steps of 200: the first round one that fits
    assert all(high % D("0.01") == 0 for _, high, _ in histogram_bins([D("0.03")]))


def test_round_steps_are_1_2_2_5_or_5_times_a_power_of_ten():
    assert [round_step(D(v), 10) for v in ("290.63", "1000", "1001", "12345", "0.03")] == [
        D(50),
        D(100),
        D(200),
        D(2000),
        D("0.01"),
    ]


def test_histogram_axis_shows_each_edge_once_in_the_given_format():
    bins = histogram_bins([D(0), D(40), D(120), D(1000)])
    svg = parse(histogram_chart(bins, title="amounts", edge_text=lambda v: f"{v:,.0f} €".replace(",", "\u202f")))
    edges = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-edge"]
    assert edges == ["0 €"] + [f"{v:,} €".replace(",", "\u202f") for v in range(100, 1001, 100)]
