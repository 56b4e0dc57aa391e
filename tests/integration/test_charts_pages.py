"""Charts on their pages: the month under way drawn as partial, the bonus thresholds across a store's NPS trend,
the distribution's round edges in the reader's money format, cost against NPS with axis titles and units."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from app.extensions import db
from tests.conftest import login

IN_SEPTEMBER = datetime(2026, 9, 20, 12, 0, tzinfo=UTC)  # 2026-09 is under way: a partial month


@pytest.fixture
def paid(build_paid_world, make_run):
    world = build_paid_world()
    return world, make_run("approved")


def _hr(app, language: str = "en"):
    client = app.test_client()
    assert login(client, "hr1@test.example").status_code == 302
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def _texts(html: str, css_class: str) -> list[str]:
    return re.findall(rf'<text class="{css_class}"[^>]*>([^<]*)</text>', html)


def test_the_month_under_way_is_drawn_partial_and_the_scheme_thresholds_cross_the_nps_trend(
    app, paid, frozen_time, add_month_responses
):
    world, _run = paid
    add_month_responses(world["s1"], 8, [9] * 30 + [7] * 10, [])
    add_month_responses(world["s1"], 9, [10, 3, 3, 3], [])  # three weeks of September: NPS -50, n = 4
    db.session.commit()
    frozen_time(IN_SEPTEMBER)
    html = _hr(app).get(f"/dashboard/store/{world['s1'].id}?period=2026-Q3").get_data(as_text=True)
    nps_chart = html[html.index('class="chart chart-trend"') : html.index("</svg>", html.index("chart chart-trend"))]
    assert _texts(nps_chart, "chart-partial-label") == ["partial"]
    assert nps_chart.count("chart-point chart-point-partial") == 1
    assert 'class="chart-line-partial"' in nps_chart
    thresholds = re.findall(r'<g class="chart-threshold">.*?<text[^>]*>([^<]*)</text></g>', nps_chart)
    assert thresholds == [
        "STORE-NPS-CSAT: 30.0 → 50 %",
        "STORE-NPS-CSAT: 50.0 → 100 %",
        "STORE-NPS-CSAT: 70.0 → 150 %",
    ]
    region = _hr(app).get(f"/dashboard/region/{world['s1'].region_id}?period=2026-Q3").get_data(as_text=True)
    assert "chart-threshold" not in region  # a region's trend is no store's own NPS


def test_a_store_opened_mid_month_has_that_month_marked_partial(app, paid, frozen_time):
    world, _run = paid
    store = world["s2"]
    store.opened_on = datetime(2026, 7, 15).date()
    db.session.commit()
    frozen_time(datetime(2026, 10, 20, 10, tzinfo=UTC))
    html = _hr(app).get(f"/dashboard/store/{store.id}?period=2026-Q3").get_data(as_text=True)
    assert re.search(r"<title>2026-07: [^<]*partial\)</title>", html)
    assert not re.search(r"<title>2026-08: [^<]*partial\)</title>", html)


def test_the_distribution_has_round_edges_in_the_reader_s_money_format(app, paid):
    french = _hr(app, "fr").get("/reports/distribution?period=2026-Q3").get_data(as_text=True)
    edges = _texts(french, "chart-edge")
    assert edges[0] == "0\u00a0€" and edges[-1] == "300\u00a0€"
    assert edges == [f"{50 * i}\u00a0€" for i in [0, 1, 2, 3, 4, 5, 6]]
    english = _texts(_hr(app, "en").get("/reports/distribution?period=2026-Q3").get_data(as_text=True), "chart-edge")
    assert english[-1] == "€300"


def test_cost_against_nps_names_its_axes_with_their_units(app, paid):
    french = _hr(app, "fr").get("/reports/cost-vs-nps?period=2026-Q3").get_data(as_text=True)
    assert _texts(french, "chart-axis-title") == [
        "NPS de la période (points, de −100 à 100)",
        "Coût des primes du magasin (€)",
    ]
    labels = _texts(french, "chart-point-label")
    assert sorted(labels) == ["S1", "S2"]  # two stores at the same NPS: both labelled, apart
