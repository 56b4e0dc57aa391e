"""The demo bonus data: the worked-example scheme published in time, an approved run, a draft run, a question."""

from __future__ import annotations

import random

import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.feedback.models import ImportBatch
from app.incentives.demo import seed_incentives
from app.incentives.models import BonusRun, LineQuestion, ObjectiveAck, ObjectivePublication, RunLine
from app.periods import Period
from tests.conftest import MID_QUARTER


def test_seed_incentives_after_the_demo_company_and_its_answers(app, runner, frozen_time):
    frozen_time(MID_QUARTER)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    today = clock.today()
    from app.feedback.demo import seed_feedback

    if db.session.scalar(sa.select(ImportBatch).where(ImportBatch.source == "demo")) is None:
        seed_feedback(random.Random(20260701), today)  # until seed-demo adds the answers itself
    summary = seed_incentives(today) if not db.session.scalar(sa.select(BonusRun.id).limit(1)) else None
    db.session.commit()
    current = Period.containing(today, "quarter")
    runs = {r.status: r for r in db.session.scalars(sa.select(BonusRun))}
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
