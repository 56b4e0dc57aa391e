"""Bonus runs end to end through the CLI: the worked example, four eyes, states, adjustments and locks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.feedback.models import PeriodLock, SurveyResponse
from app.incentives.models import BonusRun, SchemeVersion

EXAMPLE = Path(__file__).parents[2] / "examples" / "schemes" / "store-nps-csat.json"


def add_responses(store, month: int, nps: list[int], csat: list[int], year: int = 2026) -> None:
    """Store answers for a month of 2026 in one bulk insert (NPS and CSAT on separate answers)."""
    rows = []
    for index, score in enumerate(nps + [None] * len(csat)):
        csat_score = csat[index - len(nps)] if index >= len(nps) else None
        day = date(year, month, 1 + index % 28)
        rows.append(
            {
                "source": "test",
                "external_id": f"{store.code}-{year}{month:02d}-{index}",
                "store_id": store.id,
                "answered_at": datetime(year, month, day.day, 10, tzinfo=UTC),
                "local_date": day,
                "local_month": year * 100 + month,
                "channel": "email",
                "nps": score,
                "csat": csat_score,
                "contact_consent": False,
                "excluded": False,
            }
        )
    db.session.execute(sa.insert(SurveyResponse), rows)
    db.session.commit()


@pytest.fixture
def worked_example(make_store, make_employee, make_user, runner):
    """Store S1 in 2026-Q3: 66 promoters, 30 passives, 24 detractors; 69 of 80 CSAT answers at 4–5."""
    s1 = make_store("S1", region="West")
    add_responses(s1, 7, [9] * 66 + [8] * 30 + [3] * 24, [5] * 69 + [2] * 11)
    whole = make_employee(s1, number="W1", annual_base_salary=Decimal("30000.00"), hire_date=date(2020, 1, 1))
    hired = make_employee(s1, number="H1", annual_base_salary=Decimal("30000.00"), hire_date=date(2026, 8, 1))
    users = {
        "hr1": make_user("hr1@test.example", "hr"),
        "hr2": make_user("hr2@test.example", "hr"),
        "hr3": make_user("hr3@test.example", "hr", employee=whole),
    }
    assert runner.invoke(args=["schemes", "import", str(EXAMPLE)]).exit_code == 0
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
