"""Bonus runs end to end through the CLI: the worked example, four eyes, states, adjustments and locks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.feedback.models import PeriodLock, SurveyResponse
from app.incentives.models import BonusRun, SchemeVersion
from tests.conftest import EXAMPLE_SCHEME


@pytest.fixture
def worked_example(make_store, make_employee, make_user, runner, add_month_responses):
    """Store S1 in 2026-Q3: 66 promoters, 30 passives, 24 detractors; 69 of 80 CSAT answers at 4–5."""
    s1 = make_store("S1", region="West")
    add_month_responses(s1, 7, [9] * 66 + [8] * 30 + [3] * 24, [5] * 69 + [2] * 11)
    whole = make_employee(s1, number="W1", annual_base_salary=Decimal("30000.00"), hire_date=date(2020, 1, 1))
    hired = make_employee(s1, number="H1", annual_base_salary=Decimal("30000.00"), hire_date=date(2026, 8, 1))
    users = {
        "hr1": make_user("hr1@test.example", "hr"),
        "hr2": make_user("hr2@test.example", "hr"),
        "hr3": make_user("hr3@test.example", "hr", employee=whole),
    }
    assert runner.invoke(args=["schemes", "import", str(EXAMPLE_SCHEME)]).exit_code == 0
    return {"store": s1, "whole": whole, "hired": hired, "users": users}


def create_and_compute(runner) -> int:
    created = runner.invoke(args=["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", "2026-Q3"])
    assert created.exit_code == 0, created.output
    run_id = int(created.output.strip().splitlines()[-1])
    computed = runner.invoke(args=["runs", "compute", str(run_id)])
    assert computed.exit_code == 0, computed.output + computed.stderr
    return run_id


def show(runner, run_id: int) -> dict:
    result = runner.invoke(args=["runs", "show", str(run_id), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_worked_example_pays_290_63_and_192_70(runner, worked_example):
    run_id = create_and_compute(runner)
    data = show(runner, run_id)
    assert data["status"] == "draft"
    assert (data["scheme"], data["version"], data["period"]) == ("STORE-NPS-CSAT", 1, "2026-Q3")
    amounts = {line["employee_number"]: line["amount"] for line in data["lines"]}
    assert amounts == {"W1": "290.63", "H1": "192.70"}
    assert data["total"] == "483.33"
    trace = next(line["trace"] for line in data["lines"] if line["employee_number"] == "W1")
    nps = next(c for c in trace["components"] if c["kpi_code"] == "nps")
    assert (nps["value"], nps["n"], nps["moe"], nps["achievement"]) == ("35.0", 120, "14.2", "62.5")
    csat = next(c for c in trace["components"] if c["kpi_code"] == "csat")
    assert (csat["value"], csat["n"]) == ("86.25", 80)
    assert trace["period_base"] == "7500.00" or Decimal(trace["period_base"]) == Decimal("7500")


def test_four_eyes_the_submitter_cannot_approve(runner, worked_example):
    run_id = create_and_compute(runner)
    assert runner.invoke(args=["runs", "submit", str(run_id), "--user", "hr1@test.example"]).exit_code == 0
    refused = runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr1@test.example"])
    assert refused.exit_code == 1
    assert "submitted this run" in refused.stderr
    assert show(runner, run_id)["status"] == "submitted"


def test_four_eyes_someone_paid_by_the_run_cannot_approve(runner, worked_example):
    run_id = create_and_compute(runner)
    runner.invoke(args=["runs", "submit", str(run_id), "--user", "hr1@test.example"])
    refused = runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr3@test.example"])
    assert refused.exit_code == 1
    assert "paid by this run" in refused.stderr


def test_four_eyes_an_adjuster_cannot_approve(runner, worked_example):
    run_id = create_and_compute(runner)
    adjusted = runner.invoke(
        args=[
            "runs",
            "adjust",
            str(run_id),
            "--employee",
            "W1",
            "--amount",
            "10.00",
            "--reason",
            "late survey",
            "--user",
            "hr2@test.example",
        ]
    )
    assert adjusted.exit_code == 0, adjusted.stderr
    runner.invoke(args=["runs", "submit", str(run_id), "--user", "hr1@test.example"])
    refused = runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr2@test.example"])
    assert refused.exit_code == 1
    assert "adjusted this run" in refused.stderr


def test_approved_run_is_immutable_and_its_months_are_paid(runner, worked_example):
    run_id = create_and_compute(runner)
    runner.invoke(args=["runs", "submit", str(run_id), "--user", "hr1@test.example"])
    approved = runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr2@test.example"])
    assert approved.exit_code == 0, approved.stderr
    assert show(runner, run_id)["status"] == "approved"
    for args in (
        ["runs", "compute", str(run_id)],
        [
            "runs",
            "adjust",
            str(run_id),
            "--employee",
            "W1",
            "--amount",
            "1.00",
            "--reason",
            "xyz",
            "--user",
            "hr1@test.example",
        ],
        ["runs", "reject", str(run_id), "--user", "hr1@test.example", "--comment", "no"],
        ["runs", "submit", str(run_id), "--user", "hr1@test.example"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, args
        assert "approved" in result.stderr
    paid = db.session.scalars(sa.select(PeriodLock.month).where(PeriodLock.paid.is_(True))).all()
    assert sorted(paid) == [202607, 202608, 202609]
    assert db.session.scalar(sa.select(SchemeVersion.frozen)) is True


def test_rejecting_sends_back_to_draft_with_the_comment_and_unlocks(runner, worked_example):
    run_id = create_and_compute(runner)
    runner.invoke(args=["runs", "submit", str(run_id), "--user", "hr1@test.example"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PeriodLock)) == 3
    result = runner.invoke(args=["runs", "reject", str(run_id), "--user", "hr2@test.example", "--comment", "check S1"])
    assert result.exit_code == 0
    run = db.session.get(BonusRun, run_id)
    db.session.refresh(run)
    assert (run.status, run.reject_comment) == ("draft", "check S1")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PeriodLock)) == 0


def test_adjustments_survive_a_recompute_and_count_in_the_total(runner, worked_example):
    run_id = create_and_compute(runner)
    runner.invoke(
        args=[
            "runs",
            "adjust",
            str(run_id),
            "--employee",
            "H1",
            "--amount",
            "-2.70",
            "--reason",
            "rounding agreed",
            "--user",
            "hr1@test.example",
        ]
    )
    assert runner.invoke(args=["runs", "compute", str(run_id)]).exit_code == 0
    data = show(runner, run_id)
    assert data["adjustments"][0]["amount"] == "-2.70"
    assert data["total"] == "480.63"


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [("abc", "a reason", "amount"), ("1.005", "a reason", "amount"), ("5.00", "", "reason")],
)
def test_bad_adjustments_are_refused_naming_the_field(runner, worked_example, amount, reason, message):
    run_id = create_and_compute(runner)
    result = runner.invoke(
        args=[
            "runs",
            "adjust",
            str(run_id),
            "--employee",
            "W1",
            "--amount",
            amount,
            "--reason",
            reason,
            "--user",
            "hr1@test.example",
        ]
    )
    assert result.exit_code == 1
    assert message in result.stderr


def test_a_period_of_the_wrong_kind_is_refused(runner, worked_example):
    result = runner.invoke(args=["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", "2026-07"])
    assert result.exit_code == 1
    assert "per quarter" in result.stderr


def test_a_transfer_gives_one_line_per_store_part(runner, worked_example, make_store, make_employee):
    from app.org.models import Assignment

    s2 = make_store("S2", region="West")
    mover = make_employee(worked_example["store"], number="M1", hire_date=date(2020, 1, 1))
    mover.assignments[0].end_date = date(2026, 8, 16)
    mover.assignments.append(Assignment(store=s2, start_date=date(2026, 8, 17)))
    db.session.commit()
    data = show(runner, create_and_compute(runner))
    parts = {
        line["store_code"]: line["trace"]["presence_days"] for line in data["lines"] if line["employee_number"] == "M1"
    }
    assert parts == {"S1": 47, "S2": 45}


def test_approving_a_run_queues_the_rendering_of_its_statements(runner, worked_example):
    from app.reports.models import RenderJob

    run_id = create_and_compute(runner)
    runner.invoke(args=["runs", "submit", str(run_id), "--user", "hr1@test.example"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RenderJob)) == 0
    runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr2@test.example"])
    job = db.session.scalar(sa.select(RenderJob).where(RenderJob.run_id == run_id))
    assert (job.kind, job.status) == ("store", "queued")


def test_a_scheme_on_other_kpis_reads_each_stores_value(
    runner, make_store, make_employee, tmp_path, add_month_responses
):
    """A custom KPI (monthly values combined into the quarter) and followup_48h drive a run like survey KPIs, each
    store reading its own value; a store without a value gets the component's fallback."""
    from datetime import timedelta

    from app.feedback import other_kpis
    from app.feedback.models import FollowUpCase
    from app.periods import Period

    stores = [make_store(code, region="West") for code in ("S1", "S2", "S3")]
    for store, number in zip(stores, ("E1", "E2", "E3"), strict=True):
        make_employee(store, number=number, annual_base_salary=Decimal("30000.00"), hire_date=date(2020, 1, 1))
    rating, _created = other_kpis.define_kpi("rating", "Google rating", "/5", "higher", "mean")
    for store, july, august in ((stores[0], "4.5", "4.3"), (stores[1], "3.5", "4.0")):  # S3 has none
        other_kpis.set_value(rating, store, Period.parse("2026-07"), Decimal(july))
        other_kpis.set_value(rating, store, Period.parse("2026-08"), Decimal(august))
    add_month_responses(stores[0], 8, [2, 3], [])
    add_month_responses(stores[1], 8, [1], [])
    answered = datetime(2026, 8, 1, 10, tzinfo=UTC)
    responses = db.session.execute(sa.select(SurveyResponse.id, SurveyResponse.store_id).order_by(SurveyResponse.id))
    for response_id, store_id in responses.all():
        in_time = store_id == stores[0].id  # S1 calls back within 48 h, S2 never does
        db.session.add(
            FollowUpCase(
                response_id=response_id,
                store_id=store_id,
                status="contacted" if in_time else "open",
                opened_at=answered,
                due_at=answered + timedelta(hours=48),
                contacted_at=answered + timedelta(hours=3) if in_time else None,
            )
        )
    db.session.commit()
    scheme = json.loads(EXAMPLE_SCHEME.read_text())
    scheme["code"] = "STORE-OTHER"
    scheme["components"] = [
        {"key": "rating", "kpi": "rating", "weight": "50", "min_responses": 0, "fallback": "zero",
         "curve": {"type": "steps", "steps": [["4.2", "100"]]}},
        {"key": "callbacks", "kpi": "followup_48h", "weight": "50", "min_responses": 0, "fallback": "zero",
         "curve": {"type": "steps", "steps": [["80", "100"]]}},
    ]  # fmt: skip
    path = tmp_path / "other.json"
    path.write_text(json.dumps(scheme))
    assert runner.invoke(args=["schemes", "import", str(path)]).exit_code == 0
    created = runner.invoke(args=["runs", "create", "--scheme", "STORE-OTHER", "--period", "2026-Q3"])
    run_id = int(created.output.strip().splitlines()[-1])
    computed = runner.invoke(args=["runs", "compute", str(run_id)])
    assert computed.exit_code == 0, computed.output + computed.stderr
    data = show(runner, run_id)
    amounts = {line["employee_number"]: line["amount"] for line in data["lines"]}
    # 5 % of a quarter of 30 000 is 375.00: S1 meets both (rating 4.4, every call in time), S2 neither (rating
    # 3.75, no call in time), S3 has no rating and no case.
    assert amounts == {"E1": "375.00", "E2": "0.00", "E3": "0.00"}


# --- one paid run per scheme and period; corrective runs; validity; periods not over; comments -------------------


def approved_run(runner) -> int:
    run_id = create_and_compute(runner)
    assert runner.invoke(args=["runs", "submit", str(run_id), "--user", "hr1@test.example"]).exit_code == 0
    approved = runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr2@test.example"])
    assert approved.exit_code == 0, approved.stderr
    return run_id


def run_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(BonusRun))


def test_a_second_run_of_a_period_already_paid_is_refused(runner, worked_example):
    paid = approved_run(runner)
    again = runner.invoke(args=["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", "2026-Q3"])
    assert again.exit_code == 1
    assert f"period: STORE-NPS-CSAT is already paid for 2026-Q3 by run {paid} (approved)" in again.stderr
    assert "corrective" in again.stderr
    assert run_count() == 1


def test_of_two_drafts_of_a_period_only_one_can_be_submitted_and_paid(runner, worked_example):
    first = create_and_compute(runner)
    second = create_and_compute(runner)  # two drafts may sit side by side, e.g. on two versions
    assert runner.invoke(args=["runs", "submit", str(first), "--user", "hr1@test.example"]).exit_code == 0
    refused = runner.invoke(args=["runs", "submit", str(second), "--user", "hr1@test.example"])
    assert refused.exit_code == 1
    assert f"run {first} of STORE-NPS-CSAT for 2026-Q3 is waiting for approval" in refused.stderr
    assert runner.invoke(args=["runs", "approve", str(first), "--user", "hr2@test.example"]).exit_code == 0
    refused = runner.invoke(args=["runs", "submit", str(second), "--user", "hr1@test.example"])
    assert refused.exit_code == 1 and "already paid for 2026-Q3" in refused.stderr
    assert show(runner, second)["status"] == "draft"


def test_concurrent_submissions_of_drafts_of_one_period_let_exactly_one_through(
    app, runner, worked_example, concurrently
):
    from app.incentives import runs

    drafts = [create_and_compute(runner) for _ in range(4)]

    def submit(run_id: int):
        def attempt() -> str:
            runs.submit(db.session.get(BonusRun, run_id), runs.user_by_email("hr1@test.example"))
            db.session.commit()
            return "submitted"

        return attempt

    outcomes = concurrently(*(submit(run_id) for run_id in drafts))
    assert sorted(outcomes) == ["RunStateError"] * 3 + ["submitted"]
    statuses = db.session.scalars(sa.select(BonusRun.status).where(BonusRun.id.in_(drafts))).all()
    assert sorted(statuses) == ["draft"] * 3 + ["submitted"]


def test_a_period_outside_the_scheme_validity_is_refused(runner, worked_example):
    result = runner.invoke(args=["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", "2025-Q4"])
    assert result.exit_code == 1
    assert "period: 2025-Q4 is outside the validity of STORE-NPS-CSAT v1 (valid from 2026-01-01)" in result.stderr
    assert run_count() == 0


def test_an_existing_run_outside_the_validity_can_be_neither_computed_nor_submitted(runner, worked_example):
    # A run opened before Primo checked validity (or a version whose dates were moved since): nothing goes further.
    run_id = create_and_compute(runner)
    db.session.get(BonusRun, run_id).period = "2025-Q4"
    db.session.commit()
    for args in (["runs", "compute", str(run_id)], ["runs", "submit", str(run_id), "--user", "hr1@test.example"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, args
        assert "period: 2025-Q4 is outside the validity" in result.stderr
    assert show(runner, run_id)["status"] == "draft"


def current_quarter() -> str:
    from app.core import clock
    from app.periods import Period

    return str(Period.containing(clock.today(), "quarter"))


def test_a_period_not_over_warns_and_waits_for_its_end_to_be_approved(app, runner, worked_example):
    quarter = current_quarter()
    created = runner.invoke(args=["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", quarter])
    assert created.exit_code == 0
    assert f"Warning: {quarter} is not over" in created.stderr
    run_id = int(created.output.strip().splitlines()[-1])
    assert runner.invoke(args=["runs", "compute", str(run_id)]).exit_code == 0
    assert runner.invoke(args=["runs", "submit", str(run_id), "--user", "hr1@test.example"]).exit_code == 0
    refused = runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr2@test.example"])
    assert refused.exit_code == 1
    assert f"{quarter} is not over" in refused.stderr and "approved once the period has ended" in refused.stderr
    assert show(runner, run_id)["status"] == "submitted"


def test_with_advances_allowed_a_run_of_a_period_not_over_is_approved_as_an_advance(
    app, runner, worked_example, monkeypatch, tmp_path
):
    monkeypatch.setitem(app.config, "PRIMO_ALLOW_ADVANCE_RUNS", True)
    quarter = current_quarter()
    created = runner.invoke(args=["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", quarter])
    assert "pays it as an advance" in created.stderr
    run_id = int(created.output.strip().splitlines()[-1])
    runner.invoke(args=["runs", "compute", str(run_id)])
    runner.invoke(args=["runs", "submit", str(run_id), "--user", "hr1@test.example"])
    approved = runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr2@test.example"])
    assert approved.exit_code == 0, approved.stderr
    assert "an advance" in approved.output
    data = show(runner, run_id)
    assert (data["status"], data["advance"]) == ("approved", True)
    assert "advance" in runner.invoke(args=["runs", "show", str(run_id)]).output
    out = tmp_path / "advance.xlsx"
    assert runner.invoke(args=["payroll", "export", str(run_id), "--out", str(out)]).exit_code == 0
    control = {row[0]: row[1] for row in load_workbook(out)["control"].iter_rows(values_only=True)}
    assert control["advance"] is True


def test_a_run_of_a_period_over_is_no_advance(runner, worked_example):
    assert show(runner, approved_run(runner))["advance"] is False


def test_submit_approve_and_reject_comments_are_kept_in_the_history_and_audited(runner, worked_example):
    from app.audit.models import AuditEvent

    run_id = create_and_compute(runner)
    steps = (
        ["submit", "--user", "hr1@test.example", "--comment", "S1 checked with its manager"],
        ["reject", "--user", "hr2@test.example", "--comment", "H1 hire date to confirm"],
        ["submit", "--user", "hr1@test.example"],
        ["approve", "--user", "hr2@test.example", "--comment", "hire date confirmed"],
    )
    for step in steps:
        result = runner.invoke(args=["runs", step[0], str(run_id), *step[1:]])
        assert result.exit_code == 0, result.stderr
    data = show(runner, run_id)
    assert [(e["action"], e["by"], e["comment"]) for e in data["history"]] == [
        ("create", "cli", None),
        ("compute", "cli", None),
        ("submit", "hr1@test.example", "S1 checked with its manager"),
        ("reject", "hr2@test.example", "H1 hire date to confirm"),
        ("submit", "hr1@test.example", None),
        ("approve", "hr2@test.example", "hire date confirmed"),
    ]
    assert data["submitted_by"] == "hr1@test.example" and data["approved_by"] == "hr2@test.example"  # still there
    audited = db.session.scalars(
        sa.select(AuditEvent.after).where(AuditEvent.action.in_(["run.submit", "run.approve"])).order_by(AuditEvent.id)
    ).all()
    assert [a["comment"] for a in audited] == ["S1 checked with its manager", None, "hire date confirmed"]


# --- a corrective run, with the worked example's figures ------------------------------------------------------


def corrective_run(runner, reason: str = "W1's salary was 36 000, not 30 000, since January") -> int:
    created = runner.invoke(
        args=["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", "2026-Q3", "--corrective-reason", reason]
    )
    assert created.exit_code == 0, created.stderr
    assert "corrective run" in created.output
    run_id = int(created.output.strip().splitlines()[-1])
    computed = runner.invoke(args=["runs", "compute", str(run_id)])
    assert computed.exit_code == 0, computed.stderr
    return run_id


def test_a_corrective_run_pays_only_the_difference_with_what_was_paid(runner, worked_example, tmp_path):
    """W1 was paid 290.63 for 2026-Q3 on a base of 30 000; the base was in fact 36 000: period base 9 000.00,
    target 450.00, × 77.5 % = 348.75 due, so the corrective run pays 348.75 − 290.63 = 58.12. H1 (192.70) is
    unchanged and gets nothing."""
    paid = approved_run(runner)
    worked_example["whole"].annual_base_salary = Decimal("36000.00")
    db.session.commit()
    run_id = corrective_run(runner)
    data = show(runner, run_id)
    assert (data["corrective"], data["corrects_run_id"], data["corrective_basis"]) == (True, paid, [paid])
    assert data["corrective_reason"] == "W1's salary was 36 000, not 30 000, since January"
    assert [(line["employee_number"], line["amount"]) for line in data["lines"]] == [("W1", "348.75")]
    paid_line = next(line for line in show(runner, paid)["lines"] if line["employee_number"] == "W1")
    assert [(a["employee_number"], a["amount"], a["kind"], a["corrects_line_id"]) for a in data["adjustments"]] == [
        ("W1", "-290.63", "already_paid", paid_line["id"])
    ]
    assert data["total"] == "58.12"
    assert all(Decimal(line["amount"]) >= 0 for line in data["lines"])  # computed amounts are never negative
    assert runner.invoke(args=["runs", "submit", str(run_id), "--user", "hr1@test.example"]).exit_code == 0
    approved = runner.invoke(args=["runs", "approve", str(run_id), "--user", "hr2@test.example"])
    assert approved.exit_code == 0, approved.stderr

    out = tmp_path / "corrective.xlsx"
    assert runner.invoke(args=["payroll", "export", str(run_id), "--out", str(out)]).exit_code == 0
    workbook = load_workbook(out)
    rows = list(workbook["data"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[4], r[5], r[10]) for r in rows] == [("W1", "PRIME_SATISF", 58.12, run_id)]
    control = {row[0]: row[1] for row in workbook["control"].iter_rows(values_only=True)}
    assert control["corrective_of_run"] == paid and control["total"] == 58.12
    assert control["corrective_reason"] == "W1's salary was 36 000, not 30 000, since January"
    csv_out = tmp_path / "corrective.csv"
    assert (
        runner.invoke(args=["payroll", "export", str(run_id), "--format", "csv", "--out", str(csv_out)]).exit_code == 0
    )
    assert csv_out.read_text(encoding="utf-8-sig").splitlines()[1].split(";")[5] == "58,12"

    # The period costs what was paid in all, once: 483.33 + 58.12, never twice the quarter.
    from app.reports import reporting

    assert sum(r.amount for r in reporting.cost("2026-Q3")) == Decimal("541.45")


def test_a_second_correction_is_computed_against_every_run_already_paid(runner, worked_example):
    approved_run(runner)
    worked_example["whole"].annual_base_salary = Decimal("36000.00")
    db.session.commit()
    first = corrective_run(runner)
    second = corrective_run(runner, "a second look at the same salary question")  # computed before first is paid
    runner.invoke(args=["runs", "submit", str(first), "--user", "hr1@test.example"])
    assert runner.invoke(args=["runs", "approve", str(first), "--user", "hr2@test.example"]).exit_code == 0
    stale = runner.invoke(args=["runs", "submit", str(second), "--user", "hr1@test.example"])
    assert stale.exit_code == 1 and "recompute it" in stale.stderr
    assert runner.invoke(args=["runs", "compute", str(second)]).exit_code == 0
    data = show(runner, second)
    assert data["lines"] == [] and data["adjustments"] == [] and data["total"] == "0.00"  # nothing left to pay
    worked_example["whole"].annual_base_salary = Decimal("24000.00")  # 6 000 × 5 % × 77.5 % = 232.50
    db.session.commit()
    assert runner.invoke(args=["runs", "compute", str(second)]).exit_code == 0
    data = show(runner, second)
    assert sorted(a["amount"] for a in data["adjustments"]) == ["-348.75"]  # 290.63 + 58.12, netted
    assert data["total"] == "-116.25"  # taken back: 232.50 − 348.75


def test_a_corrective_run_needs_a_written_reason_and_something_paid(runner, worked_example):
    short = runner.invoke(
        args=["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", "2026-Q3", "--corrective-reason", "oops"]
    )
    assert short.exit_code == 1 and "corrective_reason: at least 10 characters" in short.stderr
    nothing_paid = runner.invoke(
        args=[
            "runs",
            "create",
            "--scheme",
            "STORE-NPS-CSAT",
            "--period",
            "2026-Q3",
            "--corrective-reason",
            "a long enough reason",
        ]
    )
    assert nothing_paid.exit_code == 1
    assert "corrective_reason: nothing of STORE-NPS-CSAT is paid for 2026-Q3 yet" in nothing_paid.stderr
    assert run_count() == 0


def test_a_correction_already_paid_in_a_later_run_counts_as_paid_for_the_period(
    app, runner, worked_example, monkeypatch
):
    """Q3 paid W1 290.63; a Q4 run then paid 20.00 more as a correction naming W1's Q3 line. Once W1's base is put
    right (36 000: 348.75 due), a corrective Q3 run pays 348.75 − 290.63 − 20.00 = 38.12, not 58.12."""
    from app.incentives import runs

    paid = approved_run(runner)
    q3_line = next(line["id"] for line in show(runner, paid)["lines"] if line["employee_number"] == "W1")
    monkeypatch.setitem(app.config, "PRIMO_ALLOW_ADVANCE_RUNS", True)  # Q4 is not over yet
    later = runs.create_run("STORE-NPS-CSAT", current_quarter())
    runs.compute(later)
    runs.adjust(later, "W1", "20.00", "CSAT answers filed late", runs.user_by_email("hr1@test.example"), q3_line)
    runs.submit(later, runs.user_by_email("hr1@test.example"))
    runs.approve(later, runs.user_by_email("hr2@test.example"))
    worked_example["whole"].annual_base_salary = Decimal("36000.00")
    db.session.commit()
    data = show(runner, corrective_run(runner))
    assert data["corrective_basis"] == [paid, later.id]
    assert [(a["employee_number"], a["amount"]) for a in data["adjustments"]] == [("W1", "-310.63")]
    assert data["total"] == "38.12"
