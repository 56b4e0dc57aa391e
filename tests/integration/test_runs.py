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


def test_a_scheme_on_other_kpis_reads_each_stores_value(runner, make_store, make_employee, tmp_path):
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
    add_responses(stores[0], 8, [2, 3], [])
    add_responses(stores[1], 8, [1], [])
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
    scheme = json.loads(EXAMPLE.read_text())
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
