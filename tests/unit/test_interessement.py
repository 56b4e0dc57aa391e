"""The intéressement calculator: the second worked example to the cent, the caps, and its invariants."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.incentives.engine import (
    AssignmentFact,
    ComponentSpec,
    EmployeeFacts,
    InvalidInput,
    InvalidScheme,
    KpiFigure,
    LinearCurve,
    StepsCurve,
)
from app.incentives.interessement import (
    Beneficiary,
    InteressementSpec,
    SubPool,
    beneficiaries_of,
    compute_interessement,
    individual_cap,
    presence_days,
    share_from_dict,
    share_trace,
    validate_interessement,
)
from app.periods import Period

Q3 = Period.parse("2026-Q3")
PASS_2026 = Decimal("48060")
NPS_CURVE = LinearCurve(Decimal(30), Decimal(50), Decimal(50), Decimal(70), Decimal(150))


def nps(scope: str = "store", curve=NPS_CURVE) -> ComponentSpec:
    return ComponentSpec("nps", "nps", "higher", scope, Decimal(100), "value", 30, "zero", curve)


def example_spec(**changes) -> InteressementSpec:
    """The scheme of docs/interessement-example.md."""
    spec = InteressementSpec(
        code="INT-NPS",
        version=1,
        pool_level="store",
        pool_kind="amount",
        pool_value=Decimal("1600.00"),
        components=(nps(),),
        subpools=(SubPool("equal", Decimal(50)), SubPool("salary", Decimal(25)), SubPool("presence", Decimal(25))),
        seniority_months=3,
        cap_redistribution="redistribute",
    )
    return replace(spec, **changes)


FIGURES = {
    ("nps", "store", "S1", "2026-Q3"): KpiFigure(Decimal("35.0"), 120, Decimal("14.2")),
    ("nps", "store", "S2", "2026-Q3"): KpiFigure(Decimal("60.0"), 150, Decimal("11.6")),
    ("nps", "store", "S3", "2026-Q3"): KpiFigure(Decimal("20.0"), 90, Decimal("16.4")),
}


def person(number, store, gross, days=92, hired=date(2020, 1, 6), left=None) -> Beneficiary:
    return Beneficiary(number, store, "Nord", hired, left, days, Decimal(gross))


# The people of the example; E02's maternity leave (1 August – 30 November) counts as presence: 92 days.
PEOPLE = [
    person("E01", "S1", "7500.00"),
    person("E02", "S1", "2600.00"),
    person("E03", "S1", "4100.00", days=78, hired=date(2026, 7, 15)),
    person("E04", "S2", "9000.00"),
    person("E05", "S2", "6000.00"),
    person("E06", "S2", "650.00", days=3, left=date(2026, 7, 3)),
    person("E07", "S3", "7200.00"),
]


def test_second_worked_example_to_the_cent():
    result = compute_interessement(example_spec(), Q3, PEOPLE, FIGURES, PASS_2026)
    pools = {p.key: p for p in result.pools}
    assert [pools[k].formula_amount for k in ("S1", "S2", "S3")] == [Decimal("1000.00"), Decimal("2000.00"), 0]
    assert [s.amount for s in pools["S2"].subpools] == [Decimal("1000.00"), Decimal("500.00"), Decimal("500.00")]
    amounts = {line.employee_number: line.amount for line in result.lines}
    assert amounts == {
        "E01": Decimal("560.64"),
        "E02": Decimal("439.36"),
        "E04": Decimal("900.17"),
        "E05": Decimal("803.57"),
        "E06": Decimal("296.26"),
        "E07": Decimal("0.00"),
    }
    leaver = next(line for line in result.lines if line.employee_number == "E06")
    assert leaver.capped and leaver.cap == Decimal("296.26")
    assert leaver.amount_before_cap == Decimal("362.121497")
    assert pools["S2"].removed_by_caps == pools["S2"].redistributed == Decimal("65.86")
    assert pools["S2"].kept == 0
    assert [e.employee_number for e in result.excluded] == ["E03"]
    assert result.excluded[0].reason_code == "seniority"
    assert result.payroll == Decimal("32950.00") and result.total_cap == Decimal("6590.00")
    assert not result.total_cap_applied and result.total == Decimal("3000.00")


def test_a_full_quarter_cap_is_three_quarters_of_the_pass_pro_rata_of_the_year():
    assert individual_cap(PASS_2026, 92, Q3) == Decimal("9085.31")
    assert individual_cap(PASS_2026, 365, Period.parse("2026")) == Decimal("36045.00")
    assert individual_cap(PASS_2026, 3, Q3) == Decimal("296.26")


def test_keeping_what_the_cap_removes_leaves_it_out_of_the_pool():
    result = compute_interessement(example_spec(cap_redistribution="keep"), Q3, PEOPLE, FIGURES, PASS_2026)
    s2 = next(p for p in result.pools if p.key == "S2")
    assert s2.kept == Decimal("65.86") and s2.redistributed == 0
    assert s2.amount_after_caps == Decimal("1934.14")
    amounts = {line.employee_number: line.amount for line in result.lines if line.store_code == "S2"}
    assert amounts == {"E04": Decimal("866.86"), "E05": Decimal("771.02"), "E06": Decimal("296.26")}


def test_the_total_cap_scales_the_pools_down_to_a_fifth_of_the_payroll():
    spec = example_spec(pool_value=Decimal("10000.00"))
    result = compute_interessement(spec, Q3, PEOPLE, FIGURES, PASS_2026)
    assert result.total_cap_applied
    assert result.formula_total == Decimal("18750.00")
    assert sum(p.amount for p in result.pools) == Decimal("6590.00") == result.total_cap
    assert result.total == Decimal("6590.00")


def test_a_leaver_keeps_a_share_and_a_newcomer_below_the_seniority_does_not():
    result = compute_interessement(example_spec(seniority_months=0), Q3, PEOPLE, FIGURES, PASS_2026)
    assert {"E03", "E06"} <= {line.employee_number for line in result.lines}
    assert result.excluded == ()


def test_presence_is_what_the_bonus_engine_pro_rates_on():
    moved = EmployeeFacts(
        "E09",
        "sales_associate",
        Decimal(1),
        Decimal(30000),
        date(2020, 1, 1),
        None,
        (
            AssignmentFact("S1", "Nord", date(2020, 1, 1), date(2026, 8, 14)),
            AssignmentFact("S2", "Nord", date(2026, 8, 15), None),
        ),
    )
    assert presence_days(moved, Q3) == 92
    found, _excluded = beneficiaries_of([moved], Q3, {"E09": Decimal("7500.00")})
    assert found[0].store_code == "S2" and found[0].presence_days == 92  # 48 days in S2 against 45 in S1


def test_only_beneficiaries_need_their_gross_pay_and_those_missing_are_named():
    newcomer_without_pay = replace(PEOPLE[2], gross_pay=None)
    people = [PEOPLE[0], PEOPLE[1], newcomer_without_pay, *PEOPLE[3:]]
    assert compute_interessement(example_spec(), Q3, people, FIGURES, PASS_2026).total == Decimal("3000.00")
    people[4] = replace(PEOPLE[4], gross_pay=None)
    with pytest.raises(InvalidInput, match="no gross pay imported for 2026-Q3 for employees E05"):
        compute_interessement(example_spec(), Q3, people, FIGURES, PASS_2026)


def test_a_trace_gives_the_share_back():
    result = compute_interessement(example_spec(), Q3, PEOPLE, FIGURES, PASS_2026)
    line = result.lines[0]
    trace = share_trace(line, result)
    assert trace["kind"] == "interessement" and trace["pool"]["key"] == "S1"
    assert share_from_dict(trace) == line


@pytest.mark.parametrize(
    ("changes", "period_type", "field"),
    [
        ({}, "month", "period_type"),
        ({"subpools": (SubPool("equal", Decimal(60)), SubPool("salary", Decimal(30)))}, "quarter", "subpools"),
        ({"seniority_months": 4}, "quarter", "seniority_months"),
        ({"components": (nps(curve=StepsCurve(((Decimal(-100), Decimal(20)),))),)}, "quarter", "zero"),
        ({"components": (nps(curve=LinearCurve(*map(Decimal, (-100, 10, 0, 50, 120)))),)}, "year", "zero"),
        ({"components": (nps(scope="store"),), "pool_level": "company"}, "year", "components[0].scope"),
        ({"pool_kind": "percent_of_payroll", "pool_value": Decimal(25)}, "year", "pool.value"),
    ],
)
def test_the_designer_refuses_what_the_law_does_not_allow(changes, period_type, field):
    errors = validate_interessement(example_spec(**changes), period_type)
    assert any(field in error for error in errors), errors


def test_a_formula_that_cannot_give_zero_is_refused_by_the_engine_too():
    spec = example_spec(components=(nps(curve=StepsCurve(((Decimal(-100), Decimal(20)),))),))
    with pytest.raises(InvalidScheme, match="must be able to give zero"):
        compute_interessement(spec, Q3, PEOPLE, FIGURES, PASS_2026)


# --- invariants -------------------------------------------------------------------------------------------------


@st.composite
def pools(draw):
    """A store pool's people with random pay, presence and dates, a scheme mixing sub-pools, and an NPS."""
    count = draw(st.integers(1, 8))
    people = []
    for i in range(count):
        days = draw(st.integers(1, 92))
        people.append(person(f"E{i:02d}", "S1", draw(st.decimals(0, 20000, places=2)), days=days))
    shares = draw(st.sampled_from([(100,), (50, 50), (40, 30, 30), (34, 33, 33), (1, 1, 98)]))
    bases = draw(st.permutations(("equal", "salary", "presence")))
    spec = example_spec(
        pool_value=draw(st.decimals(Decimal("0.01"), 60000, places=2)),
        subpools=tuple(SubPool(b, Decimal(s)) for b, s in zip(bases, shares, strict=False)),
        cap_redistribution=draw(st.sampled_from(("redistribute", "keep"))),
        seniority_months=0,
    )
    figure = {("nps", "store", "S1", "2026-Q3"): KpiFigure(draw(st.decimals(-100, 100, places=1)), 100)}
    return spec, people, figure, draw(st.decimals(1000, 60000, places=0))


@settings(max_examples=200, deadline=None)
@given(pools())
def test_shares_add_up_to_the_pool_after_caps_and_none_is_above_its_cap(case):
    spec, people, figure, pass_amount = case
    result = compute_interessement(spec, Q3, people, figure, pass_amount)
    for pool in result.pools:
        lines = [line for line in result.lines if line.pool_key == pool.key]
        assert sum(line.amount for line in lines) == pool.amount_after_caps
        assert pool.amount_after_caps + pool.kept == pool.amount
        assert pool.amount <= pool.formula_amount
    for line in result.lines:
        assert Decimal(0) <= line.amount <= line.cap
        assert line.amount == line.amount.quantize(Decimal("0.01"))
    assert result.total <= result.total_cap or not result.lines


@settings(max_examples=100, deadline=None)
@given(pools(), st.decimals(-100, 30, places=1))
def test_a_formula_at_zero_gives_zero(case, low_nps):
    spec, people, _figure, pass_amount = case
    figure = {("nps", "store", "S1", "2026-Q3"): KpiFigure(min(low_nps, Decimal("29.9")), 100)}
    result = compute_interessement(spec, Q3, people, figure, pass_amount)
    assert result.total == 0 and all(line.amount == 0 for line in result.lines)
