"""Presence less absences in the pure engine: days taken off once, kinds that count as presence, the wording."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.incentives.engine import (
    AbsenceFact,
    AssignmentFact,
    ComponentSpec,
    EmployeeFacts,
    InvalidInput,
    KpiFigure,
    LinearCurve,
    SchemeSpec,
    StepsCurve,
    absence_deductions,
    compute_run,
    line_from_dict,
    presence_parts,
    trace_to_dict,
)
from app.incentives.wording import explain_line, presence_sum
from app.periods import Period

Q3 = Period.parse("2026-Q3")
UNPAID = ("unpaid_leave", "unpaid leave", "congé sans solde")
MATERNITY = ("maternity_leave", "maternity leave", "congé de maternité")
SICK = ("sick_leave", "sick leave", "arrêt maladie")


def absence(kind: tuple[str, str, str], start: date, end: date, counts: bool = False) -> AbsenceFact:
    code, en, fr = kind
    return AbsenceFact(code, start, end, counts, en, fr)


def scheme() -> SchemeSpec:
    """The worked example's scheme: NPS 60 % linear 30 → 50 %, 50 → 100 %, 70 → 150 %; CSAT 40 % steps."""
    nps = ComponentSpec(
        key="nps",
        kpi_code="NPS",
        direction="higher",
        scope="store",
        weight=D(60),
        measure="value",
        min_responses=30,
        fallback="zero",
        curve=LinearCurve(D(30), D(50), D(50), D(70), D(150)),
    )
    csat = ComponentSpec(
        key="csat",
        kpi_code="CSAT",
        direction="higher",
        scope="store",
        weight=D(40),
        measure="value",
        min_responses=30,
        fallback="zero",
        curve=StepsCurve(((D(80), D(50)), (D(85), D(100)), (D(90), D(120)))),
    )
    return SchemeSpec(code="EX", version=1, target_kind="percent_of_base", target_value=D(5), components=(nps, csat))


FIGURES = {
    ("NPS", "store", "S1", "2026-Q3"): KpiFigure(D("35.0"), 120, D("14.2")),
    ("CSAT", "store", "S1", "2026-Q3"): KpiFigure(D("86.25"), 80),
}


def employee(*absences: AbsenceFact, hired: date = date(2020, 1, 1)) -> EmployeeFacts:
    return EmployeeFacts(
        employee_number="E1",
        job_role="sales_associate",
        fte=D(1),
        annual_base=D(30000),
        hire_date=hired,
        exit_date=None,
        assignments=(AssignmentFact("S1", "West", hired),),
        absences=absences,
    )


def only_line(*absences: AbsenceFact, hired: date = date(2020, 1, 1)):
    result = compute_run(scheme(), Q3, [employee(*absences, hired=hired)], FIGURES)
    assert len(result.lines) == 1
    return result.lines[0]


def test_five_days_of_unpaid_leave_take_the_whole_quarter_from_290_63_to_274_83():
    # 375.00 × 77.5 % × 87/92 = 290.625 × 87 / 92 = 274.8301… → 274.83
    line = only_line(absence(UNPAID, date(2026, 8, 3), date(2026, 8, 7)))
    assert (line.assigned_days, line.presence_days, line.period_days) == (92, 87, 92)
    assert [(a.kind, a.days) for a in line.absences] == [("unpaid_leave", 5)]
    assert line.amount == D("274.83")


def test_maternity_leave_counts_as_presence_and_changes_nothing():
    line = only_line(absence(MATERNITY, date(2026, 7, 1), date(2026, 9, 30), counts=True))
    assert (line.presence_days, line.absences, line.amount) == (92, (), D("290.63"))


def test_a_day_covered_twice_is_taken_off_once():
    line = only_line(
        absence(UNPAID, date(2026, 8, 3), date(2026, 8, 7)),
        absence(UNPAID, date(2026, 8, 5), date(2026, 8, 10)),
        absence(SICK, date(2026, 8, 9), date(2026, 8, 12)),
    )
    # 3–10 August unpaid (8 days), then 11–12 sick (the 9th and 10th went to the absence that began first)
    assert [(a.kind, a.days) for a in line.absences] == [("sick_leave", 2), ("unpaid_leave", 8)]
    assert line.presence_days == 82


def test_a_day_also_covered_by_a_kind_that_counts_is_not_taken_off():
    line = only_line(
        absence(UNPAID, date(2026, 9, 1), date(2026, 9, 10)),
        absence(MATERNITY, date(2026, 9, 6), date(2026, 9, 30), counts=True),
    )
    assert [(a.kind, a.days) for a in line.absences] == [("unpaid_leave", 5)]


def test_only_days_inside_the_assignment_and_the_period_are_taken_off():
    # Hired 1 August (61 days); unpaid leave from 20 July to 5 August and from 28 September to 10 October.
    line = only_line(
        absence(UNPAID, date(2026, 7, 20), date(2026, 8, 5)),
        absence(UNPAID, date(2026, 9, 28), date(2026, 10, 10)),
        hired=date(2026, 8, 1),
    )
    assert (line.assigned_days, line.presence_days) == (61, 53)
    # 290.625 × 53 / 92 = 167.4252… → 167.43
    assert line.amount == D("167.43")


def test_a_transfer_splits_absences_between_the_store_parts():
    facts = EmployeeFacts(
        "E1",
        "sales_associate",
        D(1),
        D(30000),
        date(2020, 1, 1),
        None,
        (
            AssignmentFact("S1", "West", date(2020, 1, 1), date(2026, 8, 16)),
            AssignmentFact("S2", "West", date(2026, 8, 17)),
        ),
        (absence(UNPAID, date(2026, 8, 14), date(2026, 8, 20)),),
    )
    parts = presence_parts(facts, Q3)
    assert [(p.store_code, p.assigned_days, p.days) for p in parts] == [("S1", 47, 44), ("S2", 45, 41)]


def test_a_whole_quarter_of_unpaid_leave_pays_nothing():
    line = only_line(absence(UNPAID, date(2026, 6, 1), date(2026, 12, 31)))
    assert (line.presence_days, line.amount) == (0, D("0.00"))


def test_an_absence_ending_before_it_starts_is_refused():
    with pytest.raises(InvalidInput, match="ends before it starts"):
        only_line(absence(UNPAID, date(2026, 8, 7), date(2026, 8, 3)))


def test_the_deductions_survive_the_stored_trace():
    line = only_line(absence(UNPAID, date(2026, 8, 3), date(2026, 8, 7)))
    assert line_from_dict(trace_to_dict(line)) == line


def test_presence_is_written_as_days_assigned_less_each_kind():
    unpaid = [(5, "unpaid leave")]
    assert presence_sum(92, unpaid, 92, "en") == "92 days − 5 days unpaid leave = 87/92"
    assert presence_sum(92, [(5, "congé sans solde")], 92, "fr") == "92 jours − 5 jours de congé sans solde = 87/92"
    both = [(1, "arrêt maladie"), (5, "congé sans solde")]
    assert presence_sum(61, both, 92, "fr") == "61 jours − 1 jour d'arrêt maladie − 5 jours de congé sans solde = 55/92"


def test_my_bonus_explanation_shows_the_absences_in_the_employees_language():
    trace = trace_to_dict(only_line(absence(UNPAID, date(2026, 8, 3), date(2026, 8, 7))))
    french = " ".join(explain_line(trace, "fr", "EUR").steps)
    assert "92 jours − 5 jours de congé sans solde = 87/92" in french
    assert "× 87 / 92" in french
    english = " ".join(explain_line(trace, "en", "EUR").steps)
    assert "92 days − 5 days unpaid leave = 87/92" in english


stretches = st.tuples(
    st.dates(date(2026, 6, 1), date(2026, 10, 31)), st.integers(0, 40), st.booleans(), st.sampled_from([UNPAID, SICK])
).map(lambda t: absence(t[3], t[0], t[0] + timedelta(days=t[1]), counts=t[2]))


def _days(a: AbsenceFact) -> set[date]:
    return {a.start + timedelta(days=i) for i in range((a.end - a.start).days + 1)}


# Drawing dates is slow on a busy shared machine; the property itself is cheap.
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(stretches, max_size=6))
def test_each_day_lost_to_a_non_counting_absence_is_taken_off_exactly_once(absences):
    deductions = absence_deductions(absences, Q3.start, Q3.end)
    kept = set().union(*(_days(a) for a in absences if a.counts_as_presence))
    lost = set().union(*(_days(a) for a in absences if not a.counts_as_presence)) - kept
    expected = {d for d in lost if Q3.start <= d <= Q3.end}
    assert sum(d.days for d in deductions) == len(expected) <= Q3.days
    assert all(d.days > 0 for d in deductions)
    # Giving the same absences twice (a file imported twice) changes nothing.
    assert absence_deductions(absences + absences, Q3.start, Q3.end) == deductions
