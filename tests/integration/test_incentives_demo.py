"""The demo bonus data: the worked-example scheme published in time, an approved run, a draft run, a question."""

from __future__ import annotations

import random

import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.feedback.models import ImportBatch
from app.incentives.demo import seed_incentives
from app.incentives.models import (
    BonusRun,
    GrossPay,
    LineQuestion,
    ObjectiveAck,
    ObjectivePublication,
    RunLine,
    Scheme,
    SchemeVersion,
)
from app.periods import Period
from tests.conftest import MID_QUARTER, login


def test_seed_incentives_after_the_demo_company_and_its_answers(seed_demo, app, frozen_time):
    frozen_time(MID_QUARTER)
    assert seed_demo().exit_code == 0
    today = clock.today()
    from app.feedback.demo import seed_feedback

    if db.session.scalar(sa.select(ImportBatch).where(ImportBatch.source == "demo")) is None:
        seed_feedback(random.Random(20260701), today)  # until seed-demo adds the answers itself
    summary = seed_incentives(today) if not db.session.scalar(sa.select(BonusRun.id).limit(1)) else None
    db.session.commit()
    current = Period.containing(today, "quarter")
    bonus = sa.select(BonusRun).join(SchemeVersion).join(Scheme).where(Scheme.code == "STORE-NPS-CSAT")
    runs = {r.status: r for r in db.session.scalars(bonus)}
    approved, draft = runs["approved"], runs["draft"]
    assert (approved.period, approved.submitted_by, approved.approved_by) == (
        str(current.previous()),
        "hr@example.com",
        "hr2@example.com",
    )
    assert draft.period == str(current) and draft.computed_at is not None
    assert approved.total > 0
    # Published two weeks before each quarter: no line is flagged late.
    assert not any(db.session.scalars(sa.select(RunLine.objectives_late).where(RunLine.run_id == approved.id)))
    periods = set(db.session.scalars(sa.select(ObjectivePublication.period)))
    assert {str(current.previous()), str(current)} <= periods
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ObjectiveAck)) > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineQuestion)) == 1
    # The transfer of the demo company gives two lines for one employee.
    numbers = list(db.session.scalars(sa.select(RunLine.employee_id).where(RunLine.run_id == approved.id)))
    assert len(numbers) > len(set(numbers))
    assert seed_incentives(today) == {"skipped": True}
    assert summary is None or summary["approved_run"] == approved.id


def test_the_demo_has_an_approved_interessement_run_on_imported_gross_pay_and_simulates_it(seed_demo, app, frozen_time):
    frozen_time(MID_QUARTER)
    assert seed_demo().exit_code == 0
    past = str(Period.containing(clock.today(), "quarter").previous())
    run = db.session.scalar(
        sa.select(BonusRun).join(SchemeVersion).join(Scheme).where(Scheme.code == "INT-NPS", BonusRun.period == past)
    )
    assert run is not None and run.status == "approved" and run.total > 0
    lines = list(db.session.scalars(sa.select(RunLine).where(RunLine.run_id == run.id)))
    traces = [line.trace for line in lines]
    assert {t["pool"]["level"] for t in traces} == {"store"}
    assert [p["basis"] for p in traces[0]["pool"]["subpools"]] == ["equal", "salary", "presence"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GrossPay).where(GrossPay.period == past)) >= len(
        lines
    )
    # Someone's absence is worded on their sheet (the demo employee's unpaid leave falls in the past quarter).
    assert any(t.get("absences") for t in traces)
    hr = app.test_client()
    assert login(hr, "hr@example.com", "primo-demo").status_code == 302
    page = hr.get(f"/simulation?scheme=INT-NPS:1&period={past}")
    assert page.status_code == 200 and 'data-test="sim-pools"' in page.get_data(as_text=True)
