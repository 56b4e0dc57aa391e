"""The estimate during the period: likely from the KPI values, low from the cautious bound, high from the other."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.incentives.engine import AssignmentFact, EmployeeFacts, KpiFigure
from app.incentives.estimate import estimate_range, shifted, total
from app.incentives.scheme_format import read_document
from app.periods import Period

EXAMPLE = Path(__file__).parents[2] / "examples" / "schemes" / "store-nps-csat.json"
Q4 = Period.parse("2026-Q4")


def spec(data=None):
    return read_document(data or json.loads(EXAMPLE.read_text(encoding="utf-8"))).spec(1)


def employee(store: str = "S1", hire: date = date(2020, 1, 1)) -> EmployeeFacts:
    return EmployeeFacts(
        "W1", "sales_associate", Decimal(1), Decimal("30000.00"), hire, None, (AssignmentFact(store, "West", hire),)
    )


FIGURES = {
    ("nps", "store", "S1", "2026-Q4"): KpiFigure(
        Decimal("35.0"), 120, Decimal("14.2"), Decimal("20.8"), Decimal("49.2")
    ),
    ("csat", "store", "S1", "2026-Q4"): KpiFigure(
        Decimal("86.25"), 80, Decimal("7.55"), Decimal("77.09"), Decimal("92.04")
    ),
    # The previous quarter is not the period under way: it never moves.
    ("nps", "store", "S1", "2026-Q3"): KpiFigure(
        Decimal("10.0"), 100, Decimal("15.0"), Decimal("-5.0"), Decimal("25.0")
    ),
}


def test_likely_is_the_worked_example_low_and_high_come_from_the_interval():
    estimate = estimate_range(spec(), Q4, employee(), FIGURES, "Prime")
    assert estimate is not None
    assert estimate.likely == Decimal("290.63")
    # Low: NPS 20.8 and CSAT 77.09 are below their first thresholds.
    assert estimate.low == Decimal("0.00")
    # High: NPS 49.2 → 98 %, CSAT 92.04 → 120 %: 375 × (0.6 × 98 + 0.4 × 120) % = 400.50.
    assert estimate.high == Decimal("400.50")
    nps = estimate.components[0]
    assert (nps.low, nps.likely, nps.high) == (Decimal(0), Decimal("62.5"), Decimal(98))
    assert nps.trace.n == 120 and nps.trace.moe == Decimal("14.2")


def test_only_the_current_period_moves():
    moved = shifted(FIGURES, spec(), Q4, "cautious")
    assert moved[("nps", "store", "S1", "2026-Q4")].value == Decimal("20.8")
    assert moved[("nps", "store", "S1", "2026-Q4")].lower == Decimal("6.6")
    assert moved[("nps", "store", "S1", "2026-Q3")] == FIGURES[("nps", "store", "S1", "2026-Q3")]


def test_for_a_lower_is_better_kpi_the_cautious_end_is_the_upper_bound():
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["components"] = [
        {
            "key": "ces",
            "kpi": "ces",
            "direction": "lower",
            "scope": "store",
            "weight": "100",
            "measure": "value",
            "min_responses": 0,
            "fallback": "zero",
            "curve": {"type": "steps", "steps": [["3", "50"], ["2", "100"]]},
        }
    ]
    figures = {
        ("ces", "store", "S1", "2026-Q4"): KpiFigure(
            Decimal("2.00"), 50, Decimal("0.40"), Decimal("1.60"), Decimal("2.40")
        )
    }
    estimate = estimate_range(spec(data), Q4, employee(), figures)
    assert estimate.low == Decimal("187.50")  # 2.40 only reaches the 3 step: 50 %
    assert estimate.likely == Decimal("375.00")
    assert estimate.high == Decimal("375.00")
    assert estimate.low <= estimate.likely <= estimate.high


def test_too_few_answers_so_far_gives_the_fallback_everywhere():
    figures = {
        ("nps", "store", "S1", "2026-Q4"): KpiFigure(
            Decimal("60.0"), 12, Decimal("30.0"), Decimal("30.0"), Decimal("90.0")
        ),
    }
    estimate = estimate_range(spec(), Q4, employee(), figures)
    assert (estimate.low, estimate.likely, estimate.high) == (Decimal("0.00"),) * 3
    assert estimate.components[0].trace.fallback_used == "zero"


def test_someone_the_scheme_does_not_cover_gets_no_estimate():
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["eligibility"]["stores"] = ["S2"]
    assert estimate_range(spec(data), Q4, employee(), FIGURES) is None


def test_totals_add_the_schemes_up():
    estimate = estimate_range(spec(), Q4, employee(), FIGURES)
    assert total([estimate, estimate]) == (Decimal("0.00"), Decimal("581.26"), Decimal("801.00"))
    assert total([]) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
