"""Unit tests for the pure bonus calculator: curves, scheme checks, runs, cap, pool, traces and invariants."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.incentives.engine import (
    AssignmentFact,
    CoinFlip,
    ComponentSpec,
    EmployeeFacts,
    EngineError,
    InvalidCurve,
    InvalidInput,
    InvalidScheme,
    KpiFigure,
    LinearCurve,
    SchemeSpec,
    StepsCurve,
    achievement,
    coin_flips,
    compute_run,
    curve_from_dict,
    curve_to_dict,
    line_from_dict,
    trace_to_dict,
    validate_curve,
    validate_scheme,
)
from app.periods import Period

D = Decimal
Q3 = Period.parse("2026-Q3")
NPS_CURVE = LinearCurve(threshold=D(30), floor=D(50), target=D(50), maximum=D(70), ceiling=D(150))
CSAT_CURVE = StepsCurve(((D(80), D(50)), (D(85), D(100)), (D(90), D(120))))


# ---------------------------------------------------------------------------------------------------------------------
# Factories


def make_component(**overrides) -> ComponentSpec:
    """Build the worked example's NPS component, with any field overridden."""
    values = {
        "key": "nps",
        "kpi_code": "NPS",
        "direction": "higher",
        "scope": "store",
        "weight": D(60),
        "measure": "value",
        "min_responses": 30,
        "fallback": "zero",
        "curve": NPS_CURVE,
    }
    return ComponentSpec(**{**values, **overrides})


def make_scheme(**overrides) -> SchemeSpec:
    """Build the worked example's scheme (NPS 60 % linear, CSAT 40 % steps, 5 % of base), with overrides."""
    values = {
        "code": "STORE-NPS",
        "version": 1,
        "target_kind": "percent_of_base",
        "target_value": D(5),
        "components": (
            make_component(),
            make_component(key="csat", kpi_code="CSAT", weight=D(40), curve=CSAT_CURVE),
        ),
    }
    return SchemeSpec(**{**values, **overrides})


def make_employee(number: str = "E1", **overrides) -> EmployeeFacts:
    """Build a full-time employee on 30 000 a year in store S1 since 2020."""
    values = {
        "employee_number": number,
        "job_role": "sales_associate",
        "fte": D(1),
        "annual_base": D(30000),
        "hire_date": date(2020, 1, 1),
        "exit_date": None,
        "assignments": (AssignmentFact("S1", "North", date(2020, 1, 1)),),
    }
    return EmployeeFacts(**{**values, **overrides})


def example_figures() -> dict:
    """Return the worked example's S1 figures for 2026-Q3, and different ones for S2."""
    return {
        ("NPS", "store", "S1", "2026-Q3"): KpiFigure(D("35.0"), 120, D("14.2")),
        ("CSAT", "store", "S1", "2026-Q3"): KpiFigure(D("86.25"), 80),
        ("NPS", "store", "S2", "2026-Q3"): KpiFigure(D("50.0"), 200, D("10.0")),
        ("CSAT", "store", "S2", "2026-Q3"): KpiFigure(D("91.00"), 150),
    }


def one_component_scheme(component: ComponentSpec, **overrides) -> SchemeSpec:
    """Build a scheme with a single component weighing 100 %."""
    return make_scheme(components=(replace(component, weight=D(100)),), **overrides)


def only_line(result):
    """Return the single line of a run, failing if there is not exactly one."""
    assert len(result.lines) == 1, result
    return result.lines[0]


# ---------------------------------------------------------------------------------------------------------------------
# Worked example


def test_worked_example_whole_quarter_pays_290_63():
    line = only_line(compute_run(make_scheme(), Q3, [make_employee()], example_figures()))
    assert line.period_base == D("7500.00")
    assert line.target == D("375.00")
    nps, csat = line.components
    assert (nps.value, nps.n, nps.moe, nps.measured, nps.achievement) == (
        D("35.0"),
        120,
        D("14.2"),
        D("35.0"),
        D("62.5"),
    )
    assert (csat.value, csat.n, csat.achievement) == (D("86.25"), 80, D(100))
    assert line.weighted_achievement == D("77.5")
    assert (line.presence_days, line.period_days) == (92, 92)
    assert line.amount == D("290.63")
    assert line.amount_before_cap == D("290.625")


def test_worked_example_hired_1_august_pays_192_70():
    employee = make_employee(hire_date=date(2026, 8, 1), assignments=(AssignmentFact("S1", "North", date(2026, 8, 1)),))
    line = only_line(compute_run(make_scheme(), Q3, [employee], example_figures()))
    assert (line.presence_days, line.period_days) == (61, 92)
    assert (line.presence_start, line.presence_end) == (date(2026, 8, 1), date(2026, 9, 30))
    assert line.amount == D("192.70")


def test_assignment_starting_before_hire_counts_from_hire():
    employee = make_employee(hire_date=date(2026, 8, 1))
    line = only_line(compute_run(make_scheme(), Q3, [employee], example_figures()))
    assert line.presence_days == 61
    assert line.amount == D("192.70")


def test_run_total_is_sum_of_lines():
    employees = [make_employee("E1"), make_employee("E2", annual_base=D(36000))]
    result = compute_run(make_scheme(), Q3, employees, example_figures())
    assert result.total == sum(line.amount for line in result.lines)
    assert result.pool is None and result.pool_factor == 1


# ---------------------------------------------------------------------------------------------------------------------
# Curves


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("29.9", "0"),
        ("30", "50"),
        ("35.0", "62.5"),
        ("40", "75"),
        ("50", "100"),
        ("60", "125"),
        ("70", "150"),
        ("95", "150"),
    ],
)
def test_linear_curve_joins_its_points_with_straight_lines(value, expected):
    assert achievement(NPS_CURVE, D(value), "higher") == D(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("79.99", "0"), ("80", "50"), ("84.99", "50"), ("85", "100"), ("86.25", "100"), ("90", "120"), ("100", "120")],
)
def test_steps_curve_pays_the_best_step_reached(value, expected):
    assert achievement(CSAT_CURVE, D(value), "higher") == D(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", "0"), ("10", "50"), ("7.5", "75"), ("5", "100"), ("3.5", "125"), ("2", "150"), ("0", "150")],
)
def test_linear_curve_runs_downwards_when_lower_is_better(value, expected):
    returns = LinearCurve(threshold=D(10), floor=D(50), target=D(5), maximum=D(2), ceiling=D(150))
    assert achievement(returns, D(value), "lower") == D(expected)


@pytest.mark.parametrize(("value", "expected"), [("9", "0"), ("8", "50"), ("6", "50"), ("5", "100"), ("1", "100")])
def test_steps_curve_counts_at_or_below_as_reached_when_lower_is_better(value, expected):
    returns = StepsCurve(((D(8), D(50)), (D(5), D(100))))
    assert achievement(returns, D(value), "lower") == D(expected)


def test_steps_curve_out_of_order_is_reported_with_field_names():
    curve = StepsCurve(((D(80), D(50)), (D(90), D(100)), (D(85), D(120))))
    assert validate_curve(curve, "higher") == [
        "steps[2].threshold must be above steps[1].threshold for a KPI where higher is better"
    ]
    assert "steps[1].threshold must be below steps[0].threshold for a KPI where lower is better" in validate_curve(
        curve, "lower"
    )


def test_steps_curve_paying_less_for_a_later_step_is_refused():
    curve = StepsCurve(((D(80), D(100)), (D(90), D(50))))
    assert validate_curve(curve, "higher") == ["steps[1].achievement must not be below steps[0].achievement"]


def test_linear_curve_errors_name_the_fields():
    curve = LinearCurve(threshold=D(50), floor=D(120), target=D(40), maximum=D(70), ceiling=D(90))
    assert validate_curve(curve, "higher") == [
        "target must be above threshold for a KPI where higher is better",
        "floor must be between 0 and 100",
        "ceiling must be at least 100",
    ]
    assert validate_curve(NPS_CURVE, "lower") == [
        "target must be below threshold for a KPI where lower is better",
        "maximum must be below target for a KPI where lower is better",
    ]


def test_curve_refuses_floats_and_empty_steps():
    assert validate_curve(StepsCurve(()), "higher") == ["steps must hold at least one (threshold, achievement) step"]
    curve = replace(NPS_CURVE, threshold=30.0)
    assert validate_curve(curve, "higher") == ["threshold must be a Decimal, not float"]
    with pytest.raises(InvalidCurve):
        achievement(curve, D(40), "higher")
    with pytest.raises(EngineError):
        achievement(NPS_CURVE, 40.0, "higher")


def test_curve_dict_round_trips():
    for curve in (NPS_CURVE, CSAT_CURVE):
        stored = json.loads(json.dumps(curve_to_dict(curve), default=str))
        assert curve_from_dict(stored) == curve


# ---------------------------------------------------------------------------------------------------------------------
# Scheme checks


def test_worked_example_scheme_is_valid():
    assert validate_scheme(make_scheme()) == ([], [])


def test_weights_must_add_up_to_exactly_100():
    spec = make_scheme(components=(make_component(), make_component(key="csat", weight=D("39.99"), curve=CSAT_CURVE)))
    errors, _ = validate_scheme(spec)
    assert errors == ["component weights must add up to exactly 100, not 99.99"]


def test_more_than_two_components_warn_and_more_than_three_fail():
    three = tuple(make_component(key=k, weight=w) for k, w in (("a", D(40)), ("b", D(30)), ("c", D(30))))
    errors, warnings = validate_scheme(make_scheme(components=three))
    assert errors == [] and len(warnings) == 1
    four = tuple(make_component(key=k, weight=D(25)) for k in "abcd")
    errors, _ = validate_scheme(make_scheme(components=four))
    assert errors == ["components must number 1 to 3, not 4"]
    errors, _ = validate_scheme(make_scheme(components=()))
    assert errors == ["components must number 1 to 3, not 0"]


def test_scheme_errors_cover_target_cap_pool_and_curves():
    spec = make_scheme(
        target_value=D(-1),
        cap=D(0),
        pool=D("10.005"),
        components=(make_component(weight=D(100), curve=CSAT_CURVE, direction="lower"),),
    )
    errors, _ = validate_scheme(spec)
    assert "target_value must not be negative" in errors
    assert "cap must be above 0 when set" in errors
    assert "pool must be in whole cents" in errors
    assert (
        "components[0].curve.steps[1].threshold must be below steps[0].threshold for a KPI where lower is better"
        in errors
    )


def test_pooling_cannot_be_the_fallback_of_a_change_measure():
    spec = one_component_scheme(make_component(measure="change_previous", fallback="pool_previous"))
    errors, _ = validate_scheme(spec)
    assert errors == ["components[0].fallback 'pool_previous' cannot be used with the measure 'change_previous'"]


def test_invalid_scheme_is_refused_by_the_run():
    with pytest.raises(InvalidScheme) as caught:
        compute_run(make_scheme(cap=D(-5)), Q3, [make_employee()], {})
    assert isinstance(caught.value, ValueError)
    assert caught.value.errors == ["cap must be above 0 when set"]


# ---------------------------------------------------------------------------------------------------------------------
# Presence, transfers and eligibility


def test_transfer_mid_quarter_splits_the_line_by_days_on_each_store_figures():
    employee = make_employee(
        assignments=(
            AssignmentFact("S1", "North", date(2025, 3, 1), date(2026, 8, 15)),
            AssignmentFact("S2", "North", date(2026, 8, 16)),
        )
    )
    result = compute_run(make_scheme(), Q3, [employee], example_figures())
    s1, s2 = result.lines
    assert (s1.store_code, s1.presence_days, s1.presence_start, s1.presence_end) == (
        "S1",
        46,
        date(2026, 7, 1),
        date(2026, 8, 15),
    )
    assert (s2.store_code, s2.presence_days, s2.presence_start, s2.presence_end) == (
        "S2",
        46,
        date(2026, 8, 16),
        date(2026, 9, 30),
    )
    assert s1.presence_days + s2.presence_days == 92
    assert s1.components[0].value == D("35.0") and s1.weighted_achievement == D("77.5")
    # S2: NPS 50 → 100 %, CSAT 91 → 120 %: 60 + 48 = 108 %.
    assert s2.components[0].value == D("50.0") and s2.weighted_achievement == D(108)
    assert s1.amount == D("145.31")  # 375 × 77.5 % × 46/92 = 145.3125
    assert s2.amount == D("202.50")  # 375 × 108 % × 46/92
    assert result.total == D("347.81")


def test_consecutive_assignments_to_the_same_store_make_one_line():
    employee = make_employee(
        assignments=(
            AssignmentFact("S1", "North", date(2026, 7, 1), date(2026, 7, 31)),
            AssignmentFact("S1", "North", date(2026, 8, 1), None),
        )
    )
    line = only_line(compute_run(make_scheme(), Q3, [employee], example_figures()))
    assert (line.presence_days, line.amount) == (92, D("290.63"))


def test_a_gap_between_assignments_is_not_paid():
    employee = make_employee(
        assignments=(
            AssignmentFact("S1", "North", date(2026, 7, 1), date(2026, 7, 31)),
            AssignmentFact("S1", "North", date(2026, 9, 1), None),
        )
    )
    result = compute_run(make_scheme(), Q3, [employee], example_figures())
    assert [line.presence_days for line in result.lines] == [31, 30]


def test_overlapping_assignments_are_a_data_error():
    employee = make_employee(
        assignments=(
            AssignmentFact("S1", "North", date(2026, 1, 1), date(2026, 8, 10)),
            AssignmentFact("S2", "North", date(2026, 8, 1)),
        )
    )
    with pytest.raises(InvalidInput, match="overlap"):
        compute_run(make_scheme(), Q3, [employee], example_figures())


def test_exit_date_ends_presence():
    employee = make_employee(exit_date=date(2026, 8, 31))
    line = only_line(compute_run(make_scheme(), Q3, [employee], example_figures()))
    assert (line.presence_days, line.presence_end) == (62, date(2026, 8, 31))
    assert line.amount == D("195.86")  # 290.625 × 62/92 = 195.8560…


def test_leaver_is_excluded_when_the_scheme_requires_employment_at_period_end():
    employee = make_employee(exit_date=date(2026, 8, 31))
    result = compute_run(make_scheme(employed_at_period_end=True), Q3, [employee], example_figures())
    assert result.lines == ()
    assert [(x.employee_number, x.store_code, x.reason_code) for x in result.excluded] == [
        ("E1", None, "left_before_end")
    ]


def test_ineligible_job_role_is_excluded_with_a_reason():
    spec = make_scheme(job_roles=frozenset({"store_manager"}))
    result = compute_run(spec, Q3, [make_employee(), make_employee("E2", job_role="store_manager")], example_figures())
    assert [line.employee_number for line in result.lines] == ["E2"]
    (exclusion,) = result.excluded
    assert (exclusion.employee_number, exclusion.reason_code) == ("E1", "job_role")
    assert "sales_associate" in exclusion.reason


def test_short_tenure_is_excluded():
    spec = make_scheme(min_tenure_days=90)
    newcomer = make_employee("E2", hire_date=date(2026, 9, 1))  # 29 days at 30 September
    old_enough = make_employee("E3", hire_date=date(2026, 7, 2))  # exactly 90 days
    result = compute_run(spec, Q3, [newcomer, old_enough], example_figures())
    assert [line.employee_number for line in result.lines] == ["E3"]
    assert [(x.employee_number, x.reason_code) for x in result.excluded] == [("E2", "tenure")]


def test_people_not_employed_in_the_period_are_excluded():
    hired_later = make_employee("E1", hire_date=date(2026, 10, 1))
    left_before = make_employee("E2", exit_date=date(2026, 6, 30))
    no_store = make_employee("E3", assignments=(AssignmentFact("S1", "North", date(2020, 1, 1), date(2026, 6, 30)),))
    result = compute_run(make_scheme(), Q3, [hired_later, left_before, no_store], example_figures())
    assert result.lines == ()
    assert [x.reason_code for x in result.excluded] == ["not_employed", "not_employed", "no_assignment"]


def test_store_filter_excludes_only_the_uncovered_part():
    employee = make_employee(
        assignments=(
            AssignmentFact("S1", "North", date(2026, 1, 1), date(2026, 8, 15)),
            AssignmentFact("S2", "South", date(2026, 8, 16)),
        )
    )
    result = compute_run(make_scheme(store_codes=frozenset({"S2"})), Q3, [employee], example_figures())
    assert [line.store_code for line in result.lines] == ["S2"]
    assert [(x.store_code, x.reason_code) for x in result.excluded] == [("S1", "store")]
    result = compute_run(make_scheme(regions=frozenset({"North"})), Q3, [employee], example_figures())
    assert [line.store_code for line in result.lines] == ["S1"]


def test_region_and_company_scopes_read_their_own_figures():
    spec = make_scheme(
        components=(
            make_component(scope="region"),
            make_component(key="csat", kpi_code="CSAT", scope="company", weight=D(40), curve=CSAT_CURVE),
        )
    )
    figures = {
        ("NPS", "region", "North", "2026-Q3"): KpiFigure(D("50.0"), 900, D("3.0")),
        ("CSAT", "company", "*", "2026-Q3"): KpiFigure(D("80.00"), 5000),
    }
    line = only_line(compute_run(spec, Q3, [make_employee()], figures))
    assert [(c.scope_key, c.achievement) for c in line.components] == [("North", D(100)), ("*", D(50))]


def test_fixed_target_is_scaled_by_fte():
    spec = make_scheme(target_kind="fixed", target_value=D(400))
    line = only_line(compute_run(spec, Q3, [make_employee(fte=D("0.5"), annual_base=D(15000))], example_figures()))
    assert line.target == D(200)
    assert line.amount == D("155.00")  # 200 × 77.5 %


def test_inputs_are_left_untouched():
    figures = example_figures()
    employees = [make_employee()]
    spec = make_scheme()
    compute_run(spec, Q3, employees, figures)
    assert figures == example_figures() and employees == [make_employee()] and spec == make_scheme()


# ---------------------------------------------------------------------------------------------------------------------
# Fallbacks and measures


def short_figures() -> dict:
    """Return S1 figures with too few NPS answers in 2026-Q3, and the pooled Q2+Q3 figure."""
    return {
        ("NPS", "store", "S1", "2026-Q3"): KpiFigure(D("60.0"), 12, D("40.0")),
        ("NPS", "store", "S1", "2026-Q2+2026-Q3"): KpiFigure(D("40.0"), 45, D("22.0")),
    }


@pytest.mark.parametrize(("fallback", "pct"), [("zero", D(0)), ("full", D(100))])
def test_too_few_responses_fall_back_to_zero_or_full(fallback, pct):
    spec = one_component_scheme(make_component(fallback=fallback))
    line = only_line(compute_run(spec, Q3, [make_employee()], short_figures()))
    (trace,) = line.components
    assert (trace.n, trace.measured, trace.achievement, trace.fallback_used) == (12, None, pct, fallback)
    assert line.amount == D(375) * pct / 100


def test_pooled_fallback_uses_the_previous_and_current_periods_together():
    spec = one_component_scheme(make_component(fallback="pool_previous"))
    (trace,) = only_line(compute_run(spec, Q3, [make_employee()], short_figures())).components
    assert (trace.value, trace.n) == (D("60.0"), 12)
    assert (trace.pooled_label, trace.pooled_value, trace.pooled_n) == ("2026-Q2+2026-Q3", D("40.0"), 45)
    assert (trace.measured, trace.achievement, trace.fallback_used) == (D("40.0"), D(75), "pool_previous")


def test_pooled_fallback_pays_zero_when_the_pool_is_short_too():
    spec = one_component_scheme(make_component(fallback="pool_previous", min_responses=50))
    (trace,) = only_line(compute_run(spec, Q3, [make_employee()], short_figures())).components
    assert (trace.measured, trace.achievement, trace.fallback_used) == (None, D(0), "pool_previous_zero")


def test_missing_figure_or_value_counts_as_no_responses():
    spec = one_component_scheme(make_component(fallback="full", min_responses=0))
    for figures in ({}, {("NPS", "store", "S1", "2026-Q3"): KpiFigure(None, 200)}):
        (trace,) = only_line(compute_run(spec, Q3, [make_employee()], figures)).components
        assert (trace.n, trace.achievement, trace.fallback_used) == (0, D(100), "full")


def test_change_against_previous_period_feeds_the_curve():
    change_curve = LinearCurve(threshold=D(0), floor=D(50), target=D(10), maximum=D(20), ceiling=D(150))
    spec = one_component_scheme(make_component(measure="change_previous", curve=change_curve))
    figures = {
        ("NPS", "store", "S1", "2026-Q3"): KpiFigure(D("35.0"), 120, D("14.2")),
        ("NPS", "store", "S1", "2026-Q2"): KpiFigure(D("30.0"), 100, D("15.0")),
    }
    (trace,) = only_line(compute_run(spec, Q3, [make_employee()], figures)).components
    assert (trace.previous_label, trace.previous_value, trace.previous_n) == ("2026-Q2", D("30.0"), 100)
    assert (trace.measured, trace.achievement, trace.fallback_used) == (D("5.0"), D(75), None)


def test_change_against_last_year_needs_enough_responses_in_both_periods():
    change_curve = LinearCurve(threshold=D(0), floor=D(50), target=D(10), maximum=D(20), ceiling=D(150))
    spec = one_component_scheme(make_component(measure="change_last_year", curve=change_curve, fallback="full"))
    figures = {
        ("NPS", "store", "S1", "2026-Q3"): KpiFigure(D("35.0"), 120),
        ("NPS", "store", "S1", "2025-Q3"): KpiFigure(D("20.0"), 25),
    }
    (trace,) = only_line(compute_run(spec, Q3, [make_employee()], figures)).components
    assert (trace.previous_label, trace.previous_n, trace.fallback_used, trace.achievement) == (
        "2025-Q3",
        25,
        "full",
        D(100),
    )
    figures[("NPS", "store", "S1", "2025-Q3")] = KpiFigure(D("20.0"), 30)
    (trace,) = only_line(compute_run(spec, Q3, [make_employee()], figures)).components
    assert (trace.measured, trace.achievement) == (D("15.0"), D(125))


def test_interval_bound_takes_the_lower_bound_when_higher_is_better():
    spec = one_component_scheme(make_component(measure="interval_bound"))
    figures = {("NPS", "store", "S1", "2026-Q3"): KpiFigure(D("55.0"), 120, D("14.2"), D("40.8"), D("69.2"))}
    (trace,) = only_line(compute_run(spec, Q3, [make_employee()], figures)).components
    assert (trace.measured, trace.achievement) == (D("40.8"), D(77))


def test_interval_bound_takes_the_upper_bound_when_lower_is_better():
    returns = LinearCurve(threshold=D(10), floor=D(50), target=D(5), maximum=D(2), ceiling=D(150))
    spec = one_component_scheme(
        make_component(kpi_code="RETURNS", direction="lower", measure="interval_bound", curve=returns)
    )
    figures = {("RETURNS", "store", "S1", "2026-Q3"): KpiFigure(D("4.0"), 300, D("2.0"), D("2.0"), D("6.0"))}
    (trace,) = only_line(compute_run(spec, Q3, [make_employee()], figures)).components
    assert (trace.measured, trace.achievement) == (D("6.0"), D(90))


# ---------------------------------------------------------------------------------------------------------------------
# Cap and pool


def test_cap_is_shared_between_an_employees_store_parts():
    employee = make_employee(
        assignments=(
            AssignmentFact("S1", "North", date(2025, 3, 1), date(2026, 8, 15)),
            AssignmentFact("S2", "North", date(2026, 8, 16)),
        )
    )
    result = compute_run(make_scheme(cap=D(300)), Q3, [employee], example_figures())
    s1, s2 = result.lines
    assert s1.cap_applied and s2.cap_applied
    assert s1.amount + s2.amount == D("300.00") == result.total
    assert s1.cap_factor == D(300) / (D("145.3125") + D("202.5"))
    # 145.3125 × f = 125.3369…, 202.5 × f = 174.6630…: both floored, the last cent goes to the larger remainder.
    assert (s1.amount, s2.amount) == (D("125.34"), D("174.66"))


def test_cap_not_reached_leaves_the_lines_alone():
    line = only_line(compute_run(make_scheme(cap=D(300)), Q3, [make_employee()], example_figures()))
    assert (line.cap, line.cap_applied, line.cap_factor, line.amount) == (D(300), False, None, D("290.63"))


def test_cap_holds_even_when_rounding_two_parts_would_overshoot_it():
    # Two parts of 0.005 each round to 0.01 + 0.01, one cent above a 0.01 cap.
    spec = make_scheme(
        target_kind="fixed",
        target_value=D("0.01"),
        cap=D("0.01"),
        components=(make_component(weight=D(100), fallback="full"),),
    )
    employee = make_employee(
        assignments=(
            AssignmentFact("S1", "North", date(2026, 1, 1), date(2026, 8, 15)),
            AssignmentFact("S2", "North", date(2026, 8, 16)),
        )
    )
    result = compute_run(spec, Q3, [employee], {})
    assert [line.amount_before_cap for line in result.lines] == [D("0.005"), D("0.005")]
    assert [(line.amount, line.cap_applied) for line in result.lines] == [(D("0.01"), True), (D("0.00"), True)]
    assert result.total == D("0.01")


def test_pool_scales_down_with_largest_remainder():
    spec = make_scheme(pool=D(500))
    employees = [
        make_employee("E1", annual_base=D(30000)),  # 290.63
        make_employee("E2", annual_base=D(20000)),  # 193.75
        make_employee("E3", annual_base=D(12000)),  # 116.25
    ]
    result = compute_run(spec, Q3, employees, example_figures())
    assert [line.amount_after_cap for line in result.lines] == [D("290.63"), D("193.75"), D("116.25")]
    factor = D(500) / D("600.63")
    assert result.pool_factor == factor and all(line.pool_factor == factor for line in result.lines)
    # Exact shares 241.9376…, 161.2889…, 96.7733…: floors add to 499.98, the two cents go to the largest remainders.
    assert [line.amount for line in result.lines] == [D("241.94"), D("161.29"), D("96.77")]
    assert result.total == D(500)


def test_pool_ties_go_by_employee_number_then_store():
    spec = make_scheme(pool=D(580))
    employees = [make_employee("E3"), make_employee("E1"), make_employee("E2")]
    result = compute_run(spec, Q3, employees, example_figures())
    # 3 × 290.63 = 871.89 into 580: each share 193.3333…, two cents left for the first two employee numbers.
    assert [(line.employee_number, line.amount) for line in result.lines] == [
        ("E1", D("193.34")),
        ("E2", D("193.33")),
        ("E3", D("193.33")),
    ]
    assert result.total == D(580)


def test_pool_never_scales_up():
    result = compute_run(make_scheme(pool=D(10000)), Q3, [make_employee()], example_figures())
    assert (result.pool, result.pool_factor, result.total) == (D(10000), D(1), D("290.63"))


# ---------------------------------------------------------------------------------------------------------------------
# Coin flips


def test_coin_flips_flag_stores_within_their_margin_of_a_threshold():
    figures = example_figures()
    figures[("NPS", "store", "S3", "2026-Q3")] = KpiFigure(D("12.0"), 40, D("30.0"))
    flips = coin_flips(make_scheme(), Q3, {"S1": "North", "S2": "North", "S3": "South"}, figures)
    assert flips == [
        CoinFlip("S1", "nps", D("35.0"), D("14.2"), D(30)),
        CoinFlip("S2", "nps", D("50.0"), D("10.0"), D(50)),
        CoinFlip("S3", "nps", D("12.0"), D("30.0"), D(30)),
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Traces


def test_trace_is_json_with_decimals_as_strings_and_round_trips():
    line = only_line(compute_run(make_scheme(), Q3, [make_employee()], example_figures()))
    data = json.loads(json.dumps(trace_to_dict(line)))
    assert data["amount"] == "290.63"
    assert data["presence_start"] == "2026-07-01"
    assert data["components"][0]["curve"]["threshold"] == "30"
    assert line_from_dict(data) == line


# ---------------------------------------------------------------------------------------------------------------------
# Properties

FAST = settings(max_examples=150, deadline=None)
STORES = {"S1": "North", "S2": "North", "S3": "South"}
KPIS = ("NPS", "CSAT")


def decimals(low: str, high: str, places: int = 1):
    """Draw Decimals between two bounds with a fixed number of places."""
    return st.decimals(D(low), D(high), places=places, allow_nan=False, allow_infinity=False)


@st.composite
def curves(draw, direction: str):
    """Draw a valid steps or linear curve for the given direction."""
    descending = direction == "lower"
    if draw(st.booleans()):
        thresholds = draw(st.lists(decimals("-100", "100"), min_size=1, max_size=4, unique=True))
        pcts = draw(st.lists(decimals("0", "200"), min_size=len(thresholds), max_size=len(thresholds)))
        return StepsCurve(tuple(zip(sorted(thresholds, reverse=descending), sorted(pcts), strict=True)))
    points = sorted(draw(st.lists(decimals("-100", "100"), min_size=3, max_size=3, unique=True)), reverse=descending)
    return LinearCurve(points[0], draw(decimals("0", "100")), points[1], points[2], draw(decimals("100", "300")))


@st.composite
def components(draw, key: str, weight: Decimal):
    """Draw a valid component."""
    direction = draw(st.sampled_from(("higher", "lower")))
    measure = draw(st.sampled_from(("value", "change_previous", "change_last_year", "interval_bound")))
    fallbacks = ("zero", "full") if measure.startswith("change") else ("zero", "full", "pool_previous")
    return ComponentSpec(
        key=key,
        kpi_code=draw(st.sampled_from(KPIS)),
        direction=direction,
        scope=draw(st.sampled_from(("store", "region", "company"))),
        weight=weight,
        measure=measure,
        min_responses=draw(st.integers(0, 30)),
        fallback=draw(st.sampled_from(fallbacks)),
        curve=draw(curves(direction)),
    )


@st.composite
def schemes(draw):
    """Draw a valid scheme with one or two components, maybe a cap and a pool."""
    first = D(draw(st.integers(1, 100)))
    weights = [first] if first == 100 else [first, 100 - first]
    parts = tuple(draw(components(f"c{i}", w)) for i, w in enumerate(weights))
    fixed = draw(st.booleans())
    return SchemeSpec(
        code="PROP",
        version=1,
        target_kind="fixed" if fixed else "percent_of_base",
        target_value=draw(decimals("0", "1000", 2) if fixed else decimals("0", "20", 2)),
        components=parts,
        cap=draw(st.none() | decimals("0.01", "500", 2)),
        pool=draw(st.none() | decimals("0.01", "400", 2)),
    )


@st.composite
def employees(draw, number: str):
    """Draw an employee with one to three back-to-back store assignments around 2026-Q3."""
    hire = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
    exit_date = draw(st.none() | st.integers(0, 200).map(lambda d: hire + timedelta(days=d)))
    start = date(2026, 5, 1) + timedelta(days=draw(st.integers(0, 120)))
    assignments = []
    for i in range(draw(st.integers(1, 3))):
        store = draw(st.sampled_from(sorted(STORES)))
        last = i == 2 or draw(st.booleans())
        end = None if last and draw(st.booleans()) else start + timedelta(days=draw(st.integers(0, 60)))
        assignments.append(AssignmentFact(store, STORES[store], start, end))
        if end is None:
            break
        start = end + timedelta(days=1)
    return EmployeeFacts(
        employee_number=number,
        job_role="sales_associate",
        fte=draw(decimals("0.1", "1", 2)),
        annual_base=draw(decimals("0", "90000", 2)),
        hire_date=hire,
        exit_date=exit_date,
        assignments=tuple(assignments),
    )


@st.composite
def figure_sets(draw):
    """Draw KPI figures for every scope and the periods a Q3 run may read, some missing."""
    labels = ("2026-Q3", "2026-Q2", "2025-Q3", "2026-Q2+2026-Q3")
    keys = [("store", s) for s in STORES] + [("region", r) for r in set(STORES.values())] + [("company", "*")]
    figures = {}
    for kpi in KPIS:
        for scope, scope_key in keys:
            for label in labels:
                if draw(st.integers(0, 4)):
                    value = draw(decimals("-100", "100")) if draw(st.integers(0, 9)) else None
                    moe = draw(st.none() | decimals("0", "30"))
                    lower = upper = None
                    if value is not None and moe is not None:
                        lower, upper = value - moe, value + moe
                    figure = KpiFigure(value, draw(st.integers(0, 200)), moe, lower, upper)
                    figures[(kpi, scope, scope_key, label)] = figure
    return figures


@st.composite
def runs(draw):
    """Draw the inputs of a whole run."""
    count = draw(st.integers(1, 5))
    staff = [draw(employees(f"E{i}")) for i in range(count)]
    return draw(schemes()), staff, draw(figure_sets())


@FAST
@given(st.sampled_from(("higher", "lower")).flatmap(lambda d: st.tuples(st.just(d), curves(d))), st.data())
def test_achievement_never_falls_as_the_kpi_improves(direction_and_curve, data):
    direction, curve = direction_and_curve
    a, b = sorted([data.draw(decimals("-150", "150", 2)), data.draw(decimals("-150", "150", 2))])
    low, high = achievement(curve, a, direction), achievement(curve, b, direction)
    assert low >= 0 and high >= 0
    if direction == "higher":
        assert low <= high
    else:
        assert low >= high


@settings(max_examples=80, deadline=None)
@given(runs())
def test_run_invariants_hold(run):
    spec, staff, figures = run
    result = compute_run(spec, Q3, staff, figures)
    assert all(line.amount >= 0 for line in result.lines)
    assert all(line.amount == line.amount.quantize(D("0.01")) for line in result.lines)
    assert result.total == sum((line.amount for line in result.lines), D(0))
    for line in result.lines:
        assert 0 <= line.presence_factor <= 1
        assert 0 < line.presence_days <= line.period_days == Q3.days
    for employee in staff:
        own = [line for line in result.lines if line.employee_number == employee.employee_number]
        assert sum(line.presence_days for line in own) <= Q3.days
        if spec.cap is not None:
            assert sum((line.amount_after_cap for line in own), D(0)) <= spec.cap
    if spec.pool is not None:
        assert result.total <= spec.pool
        if result.pool_factor < 1:
            assert result.total == spec.pool
    assert 0 < result.pool_factor <= 1


@settings(max_examples=40, deadline=None)
@given(runs())
def test_same_input_gives_same_output_and_traces_round_trip(run):
    spec, staff, figures = run
    first = compute_run(spec, Q3, staff, figures)
    assert compute_run(spec, Q3, list(reversed(staff)), dict(figures)) == first
    for line in first.lines:
        stored = json.loads(json.dumps(trace_to_dict(line)))
        assert line_from_dict(stored) == line


@settings(max_examples=50, deadline=None)
@given(runs(), st.integers(1, 99))
def test_pool_below_the_total_is_hit_exactly_and_only_scales_down(run, percent):
    spec, staff, figures = run
    unpooled = compute_run(replace(spec, pool=None), Q3, staff, figures)
    pool = (unpooled.total * percent / 100).quantize(D("0.01"))
    if pool <= 0:
        return
    pooled = compute_run(replace(spec, pool=pool), Q3, staff, figures)
    assert pooled.total == pool
    assert pooled.pool_factor == pool / unpooled.total
    for before, after in zip(unpooled.lines, pooled.lines, strict=True):
        assert 0 <= after.amount <= before.amount
