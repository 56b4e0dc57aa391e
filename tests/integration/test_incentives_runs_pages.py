"""The run pages through the test client: create, compute, review, submit, approve with four eyes, reject, adjust."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db
from app.incentives.models import BonusRun, RunAdjustment, RunLine


@pytest.fixture(autouse=True)
def french_by_default(app):
    """These pages are read as the company default, French (the suite's default is English)."""
    app.config["PRIMO_DEFAULT_LANGUAGE"] = "fr"
    yield
    app.config["PRIMO_DEFAULT_LANGUAGE"] = "en"


@pytest.fixture
def worked(app, build_worked_example):
    return build_worked_example()


@pytest.fixture
def hr1(app, worked, client_for):
    return client_for("hr1@test.example")


@pytest.fixture
def hr2(app, worked, client_for):
    return client_for("hr2@test.example")


@pytest.fixture
def create_run(post, text):
    """create_run(client, period="2026-Q3", version="STORE-NPS-CSAT:1"): a run made on the runs page; its id."""

    def create(client, period: str = "2026-Q3", version: str = "STORE-NPS-CSAT:1") -> int:
        response = post(client, "/runs/new", {"version": version, "period": period})
        assert response.status_code == 302, text(response)
        return int(response.headers["Location"].rstrip("/").split("/")[-1])

    return create


@pytest.fixture
def computed_run(create_run, post):
    """computed_run(client): a run made and computed on the runs page; its id."""

    def create(client) -> int:
        run_id = create_run(client)
        assert post(client, f"/runs/{run_id}/compute").status_code == 302
        return run_id

    return create


def test_hr_creates_and_computes_a_run_and_sees_the_worked_example(hr1, post, text, create_run):
    run_id = create_run(hr1)
    assert "Calculer" in text(hr1.get(f"/runs/{run_id}"))
    response = post(hr1, f"/runs/{run_id}/compute")
    assert response.status_code == 302
    page = text(hr1.get(f"/runs/{run_id}"))
    assert "290,63 €" in page and "192,70 €" in page
    assert "483,33 €" in page  # the total
    run = db.session.get(BonusRun, run_id)
    assert run.total == Decimal("483.33")


def test_the_runs_list_shows_status_and_total(hr1, text, computed_run):
    run_id = computed_run(hr1)
    page = text(hr1.get("/runs"))
    assert f'data-run="{run_id}"' in page
    assert "483,33 €" in page and "draft" in page


def test_a_bad_period_is_refused_naming_the_field(hr1, post, text):
    response = post(hr1, "/runs/new", {"version": "STORE-NPS-CSAT:1", "period": "2026-07"})
    assert response.status_code == 400
    assert "se paie par trimestre, pas par mois" in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BonusRun)) == 0


def test_lines_can_be_filtered_by_store_employee_and_late_objectives(
    hr1, worked, make_store, make_employee, text, computed_run
):
    other = make_store("S2", region="East")
    make_employee(other, number="Z9", first_name="Zoé", hire_date=date(2020, 1, 1))
    run_id = computed_run(hr1)
    everything = text(hr1.get(f"/runs/{run_id}"))
    assert 'data-employee="W1"' in everything and 'data-employee="Z9"' in everything
    by_store = text(hr1.get(f"/runs/{run_id}?store={other.id}"))
    assert 'data-employee="Z9"' in by_store and 'data-employee="W1"' not in by_store
    by_name = text(hr1.get(f"/runs/{run_id}?q=zo"))
    assert 'data-employee="Z9"' in by_name and 'data-employee="W1"' not in by_name
    # Nothing was published: every line's objectives are late, and the page says so.
    assert 'data-test="objectives-late"' in everything
    late_only = text(hr1.get(f"/runs/{run_id}?late=1"))
    assert 'data-employee="W1"' in late_only


def test_totals_by_store(hr1, worked, make_store, make_employee, text, computed_run):
    other = make_store("S2", region="East")
    make_employee(other, number="Z9", hire_date=date(2020, 1, 1))
    run_id = computed_run(hr1)
    page = text(hr1.get(f"/runs/{run_id}"))
    totals = page.split('data-test="store-totals"')[1].split("</table>")[0]
    assert 'data-store="S1"' in totals and "483,33 €" in totals
    assert 'data-store="S2"' in totals  # S2 has no answers: paid 0 on the fallback


def test_before_approval_the_page_shows_fallback_and_coin_flip_stores(
    hr1, worked, make_store, make_employee, add_month_responses, text, computed_run
):
    small = make_store("S3", region="West")
    add_month_responses(small, 7, [9] * 10 + [3] * 5, [5] * 12)  # 15 NPS answers, 12 CSAT: below the 30 needed
    make_employee(small, number="Q1", hire_date=date(2020, 1, 1))
    run_id = computed_run(hr1)
    page = text(hr1.get(f"/runs/{run_id}"))
    review = page.split('data-test="review"')[1]
    fallbacks = review.split('data-test="fallbacks"')[1].split("</table>")[0]
    # The rule applied is named as the designer names it ("Pay 0 %"), not by its code ("zero").
    assert "S3" in fallbacks and re.search(r"(Verser|Pay) 0\s%", fallbacks) and "zero" not in fallbacks
    # S1's NPS of 35.0 ± 14.2 lies within its margin of the 30 threshold (and of 50 and the CSAT steps near it).
    flips = review.split('data-test="coin-flips"')[1].split("</table>")[0]
    assert "S1" in flips and "nps" in flips and "35,0" in flips


def test_submit_then_a_second_hr_user_approves(hr1, hr2, post, computed_run):
    run_id = computed_run(hr1)
    assert post(hr1, f"/runs/{run_id}/submit").status_code == 302
    assert db.session.get(BonusRun, run_id).status == "submitted"
    response = post(hr2, f"/runs/{run_id}/approve")
    assert response.status_code == 302
    run = db.session.get(BonusRun, run_id)
    db.session.refresh(run)
    assert (run.status, run.submitted_by, run.approved_by) == ("approved", "hr1@test.example", "hr2@test.example")


def test_the_submitter_cannot_approve_409_with_the_reason(hr1, post, text, computed_run):
    run_id = computed_run(hr1)
    post(hr1, f"/runs/{run_id}/submit")
    response = post(hr1, f"/runs/{run_id}/approve")
    assert response.status_code == 409
    assert "a soumis cette campagne : un autre utilisateur RH doit l" in text(response)
    assert 'data-test="run-status">soumise<' in hr1.get(f"/runs/{run_id}").get_data(as_text=True)
    assert db.session.get(BonusRun, run_id).status == "submitted"


def test_an_adjuster_cannot_approve(hr1, hr2, post, text, computed_run):
    run_id = computed_run(hr1)
    response = post(hr2, f"/runs/{run_id}/adjust", {"employee": "W1", "amount": "10.00", "reason": "late survey"})
    assert response.status_code == 302, text(response)
    post(hr1, f"/runs/{run_id}/submit")
    refused = post(hr2, f"/runs/{run_id}/approve")
    assert refused.status_code == 409
    assert "a ajusté cette campagne" in text(refused)


def test_someone_paid_by_the_run_cannot_approve(
    app, hr1, worked, make_user, make_employee, client_for, post, text, computed_run
):
    paid = make_employee(worked.store, number="HR3", hire_date=date(2020, 1, 1))
    make_user("hr3@test.example", "hr", employee=paid)
    run_id = computed_run(hr1)
    post(hr1, f"/runs/{run_id}/submit")
    refused = post(client_for("hr3@test.example"), f"/runs/{run_id}/approve")
    assert refused.status_code == 409
    assert "paid by this run" in text(refused)


def test_state_errors_are_409_pages(hr1, hr2, post, text, create_run):
    run_id = create_run(hr1)
    not_computed = post(hr1, f"/runs/{run_id}/submit")
    assert not_computed.status_code == 409
    assert "pas été calculée" in text(not_computed)
    post(hr1, f"/runs/{run_id}/compute")
    post(hr1, f"/runs/{run_id}/submit")
    post(hr2, f"/runs/{run_id}/approve")
    for path, data in (
        (f"/runs/{run_id}/compute", {}),
        (f"/runs/{run_id}/submit", {}),
        (f"/runs/{run_id}/reject", {"comment": "no"}),
        (f"/runs/{run_id}/adjust", {"employee": "W1", "amount": "1.00", "reason": "why not"}),
        (f"/runs/{run_id}/approve", {}),
    ):
        response = post(hr1, path, data)
        assert response.status_code == 409, path
        assert "au statut « approuvée »" in text(response), path  # the status in the reader's language
    assert db.session.get(BonusRun, run_id).total == Decimal("483.33")


def test_reject_needs_a_comment_and_goes_back_to_draft(hr1, hr2, post, text, computed_run):
    run_id = computed_run(hr1)
    post(hr1, f"/runs/{run_id}/submit")
    missing = post(hr2, f"/runs/{run_id}/reject", {"comment": ""})
    assert missing.status_code == 400
    assert 'data-field="comment"' in text(missing)
    assert db.session.get(BonusRun, run_id).status == "submitted"
    response = post(hr2, f"/runs/{run_id}/reject", {"comment": "check S1's survey dates"})
    assert response.status_code == 302
    run = db.session.get(BonusRun, run_id)
    db.session.refresh(run)
    assert (run.status, run.reject_comment) == ("draft", "check S1's survey dates")
    assert "check S1&#39;s survey dates" in text(hr1.get(f"/runs/{run_id}"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"employee": "W1", "amount": "abc", "reason": "a reason"}, "amount", "not an amount"),
        ({"employee": "W1", "amount": "1.005", "reason": "a reason"}, "amount", "au centime près"),
        ({"employee": "W1", "amount": "5.00", "reason": ""}, "reason", ""),  # the form's own "required", translated
        ({"employee": "NOBODY", "amount": "5.00", "reason": "a reason"}, "employee", "aucun salarié NOBODY"),
        ({"employee": "W1", "amount": "5.00", "reason": "a reason", "corrects": "x"}, "corrects", "nombre entier"),
    ],
)
def test_a_bad_adjustment_names_its_field(hr1, data, field, message, post, text, computed_run):
    run_id = computed_run(hr1)
    response = post(hr1, f"/runs/{run_id}/adjust", data)
    assert response.status_code == 400
    page = text(response)
    assert f'data-field="{field}"' in page
    assert message in page.split(f'data-field="{field}"')[1].split("</p>")[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RunAdjustment)) == 0


def test_an_adjustment_is_signed_audited_and_survives_a_recompute(hr1, post, text, computed_run):
    run_id = computed_run(hr1)
    response = post(hr1, f"/runs/{run_id}/adjust", {"employee": "H1", "amount": "-2.70", "reason": "rounding agreed"})
    assert response.status_code == 302
    post(hr1, f"/runs/{run_id}/compute")
    run = db.session.get(BonusRun, run_id)
    db.session.refresh(run)
    assert run.total == Decimal("480.63")
    assert "rounding agreed" in text(hr1.get(f"/runs/{run_id}"))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "run.adjust"))
    assert event.actor == "hr1@test.example"
    assert event.before == {"total": "483.33"} and event.after["amount"] == "-2.70"


def test_a_correction_after_approval_is_an_adjustment_in_a_later_run_naming_the_line(
    hr1, hr2, worked, post, text, computed_run, create_run
):
    approved = computed_run(hr1)
    post(hr1, f"/runs/{approved}/submit")
    post(hr2, f"/runs/{approved}/approve")
    line = db.session.scalar(
        sa.select(RunLine).where(RunLine.run_id == approved, RunLine.employee_id == worked.whole.id)
    )
    later = create_run(hr1, "2026-Q4")
    wrong_person = post(
        hr1, f"/runs/{later}/adjust", {"employee": "H1", "amount": "5.00", "reason": "fix", "corrects": str(line.id)}
    )
    assert wrong_person.status_code == 400
    assert "un autre salarié" in text(wrong_person)
    response = post(
        hr1,
        f"/runs/{later}/adjust",
        {"employee": "W1", "amount": "12.50", "reason": "CSAT answers filed late", "corrects": str(line.id)},
    )
    assert response.status_code == 302, text(response)
    adjustment = db.session.scalar(sa.select(RunAdjustment).where(RunAdjustment.run_id == later))
    assert (adjustment.corrects_line_id, adjustment.amount) == (line.id, Decimal("12.50"))
    assert f"#{line.id}" in text(hr1.get(f"/runs/{later}"))
    # A draft run's line cannot be "corrected": corrections name lines of approved or exported runs.
    draft_line = create_run(hr1, "2026-Q2")
    post(hr1, f"/runs/{draft_line}/compute")
    own = db.session.scalar(
        sa.select(RunLine.id).where(RunLine.run_id == draft_line, RunLine.employee_id == worked.whole.id)
    )
    refused = post(
        hr1, f"/runs/{later}/adjust", {"employee": "W1", "amount": "1.00", "reason": "fix", "corrects": str(own)}
    )
    assert refused.status_code == 400
    assert "approuvée ou exportée" in text(refused)


def test_a_line_is_explained_in_plain_words(hr1, worked, text, computed_run):
    run_id = computed_run(hr1)
    line = db.session.scalar(sa.select(RunLine).where(RunLine.run_id == run_id, RunLine.employee_id == worked.hired.id))
    page = text(hr1.get(f"/runs/{run_id}/lines/{line.id}"))
    assert "61 jours sur 92" in page
    assert "192,70 €" in page
    assert "n = 120" in page
    assert page.count('class="chart chart-curve chart-small"') == 2


def test_other_roles_cannot_reach_the_run_pages(app, worked, hr1, client_for, computed_run):
    run_id = computed_run(hr1)
    employee = client_for("w1@test.example")
    assert employee.get(f"/runs/{run_id}").status_code == 403
    assert employee.get("/runs").status_code == 403


# --- the next step, four eyes, comments, refusals on the page -------------------------------------------------


def next_step(page: str) -> str:
    """The next-step section of a run page."""
    return page.split('data-test="next-step"')[1].split("</section>")[0]


def test_the_next_step_is_the_main_button_from_compute_to_already_paid(
    app, hr1, hr2, worked, make_user, client_for, post, text, create_run
):
    run_id = create_run(hr1)
    step = next_step(text(hr1.get(f"/runs/{run_id}")))
    assert 'class="primary" data-test="compute"' in step and 'data-test="submit"' not in step
    post(hr1, f"/runs/{run_id}/compute")
    step = next_step(text(hr1.get(f"/runs/{run_id}")))
    assert 'class="primary" data-test="submit"' in step and 'class="primary" data-test="compute"' not in step
    post(hr1, f"/runs/{run_id}/submit")
    # The submitter waits for someone else: no approve button that would end on a refusal.
    step = next_step(text(hr1.get(f"/runs/{run_id}")))
    assert 'data-test="waiting"' in step and "En attente de la validation par un autre utilisateur RH" in step
    assert 'data-test="approve"' not in step
    step = next_step(text(hr2.get(f"/runs/{run_id}")))
    assert 'class="primary" data-test="approve"' in step and 'data-test="waiting"' not in step
    post(hr2, f"/runs/{run_id}/approve")
    step = next_step(text(hr1.get(f"/runs/{run_id}")))
    assert 'data-test="export-link"' in step and f'/payroll#run-{run_id}"' in step
    make_user("pay@test.example", "payroll")
    payroll = client_for("pay@test.example")
    export = post(payroll, f"/payroll/runs/{run_id}/export", {"fmt": "csv", "decimal_separator": ","}, page="/payroll")
    assert export.status_code == 200
    step = next_step(text(hr1.get(f"/runs/{run_id}")))
    assert 'data-test="already-paid"' in step and "Déjà payée" in step


def test_an_adjuster_or_someone_paid_by_the_run_sees_the_waiting_message(
    app, hr1, hr2, worked, make_user, make_employee, client_for, post, text, computed_run
):
    make_user("hr3@test.example", "hr", employee=make_employee(worked.store, number="HR3", hire_date=date(2020, 1, 1)))
    run_id = computed_run(hr1)
    post(hr2, f"/runs/{run_id}/adjust", {"employee": "W1", "amount": "10.00", "reason": "late survey"})
    post(hr1, f"/runs/{run_id}/submit")
    for client in (hr2, client_for("hr3@test.example")):
        step = next_step(text(client.get(f"/runs/{run_id}")))
        assert 'data-test="waiting"' in step and 'data-test="approve"' not in step


def test_submit_and_approve_take_a_comment_shown_in_the_history(hr1, hr2, post, text, computed_run):
    run_id = computed_run(hr1)
    assert post(hr1, f"/runs/{run_id}/submit", {"comment": "Les chiffres de S1 sont vérifiés."}).status_code == 302
    assert post(hr2, f"/runs/{run_id}/approve", {"comment": "Vu avec la paie."}).status_code == 302
    history = text(hr1.get(f"/runs/{run_id}")).split('data-test="history"')[1].split("</table>")[0]
    assert "Les chiffres de S1 sont vérifiés." in history and "Vu avec la paie." in history
    assert history.index("soumise") < history.index("approuvée")
    assert "hr1@test.example" in history and "hr2@test.example" in history


def test_a_refused_approval_shows_the_run_page_with_the_reason_and_a_409(hr1, post, text, computed_run):
    run_id = computed_run(hr1)
    post(hr1, f"/runs/{run_id}/submit")
    refused = post(hr1, f"/runs/{run_id}/approve")
    assert refused.status_code == 409
    page = text(refused)
    assert 'data-test="run-title"' in page and 'data-test="refusal"' in page  # the run page, not a bare error page
    assert "a soumis cette campagne" in page.split('data-test="refusal"')[1]
    assert 'data-test="waiting"' in next_step(page)


def test_a_second_run_of_a_paid_period_is_refused_and_a_corrective_one_needs_a_reason(
    hr1, hr2, worked, post, text, computed_run
):
    paid = computed_run(hr1)
    post(hr1, f"/runs/{paid}/submit")
    post(hr2, f"/runs/{paid}/approve")
    refused = post(hr1, "/runs/new", {"version": "STORE-NPS-CSAT:1", "period": "2026-Q3"})
    assert refused.status_code == 409
    message = text(refused).split('data-field="period"')[1].split("</p>")[0]
    assert f"déjà payé pour 2026-Q3 par la campagne {paid}" in message and "corrective" in message
    short = post(hr1, "/runs/new", {"version": "STORE-NPS-CSAT:1", "period": "2026-Q3", "corrective_reason": "oups"})
    assert short.status_code == 400 and 'data-field="corrective_reason"' in text(short)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BonusRun)) == 1
    response = post(
        hr1,
        "/runs/new",
        {"version": "STORE-NPS-CSAT:1", "period": "2026-Q3", "corrective_reason": "H1 était présente dès juillet"},
    )
    assert response.status_code == 302, text(response)
    corrective = int(response.headers["Location"].rsplit("/", 1)[-1])
    page = text(hr1.get(f"/runs/{corrective}"))
    assert 'data-test="corrective-tag"' in page and "H1 était présente dès juillet" in page
    assert f"corrige la n° {paid}" in text(hr1.get("/runs"))


def test_a_period_outside_the_validity_is_refused_naming_the_field(hr1, post, text):
    response = post(hr1, "/runs/new", {"version": "STORE-NPS-CSAT:1", "period": "2025-Q4"})
    assert response.status_code == 400
    message = text(response).split('data-field="period"')[1].split("</p>")[0]
    assert "2025-Q4 est hors de la période de validité de STORE-NPS-CSAT v1" in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BonusRun)) == 0


def test_a_period_not_over_is_flagged_and_its_approval_waits(hr1, hr2, post, text):
    from app.core import clock
    from app.periods import Period

    quarter = Period.containing(clock.today(), "quarter")
    created = post(hr1, "/runs/new", {"version": "STORE-NPS-CSAT:1", "period": str(quarter)})
    run_id = int(created.headers["Location"].rsplit("/", 1)[-1])
    flashed = unescape(text(hr1.get(f"/runs/{run_id}")))
    assert f"{quarter} n'est pas terminée (dernier jour {quarter.end.isoformat()})" in flashed
    post(hr1, f"/runs/{run_id}/compute")
    assert post(hr1, f"/runs/{run_id}/submit").status_code == 302
    page = text(hr2.get(f"/runs/{run_id}"))
    assert 'data-test="run-warning"' in page
    step = next_step(page)
    assert (
        'data-test="waiting"' in step and "une fois la période terminée" in step and 'data-test="approve"' not in step
    )
    refused = post(hr2, f"/runs/{run_id}/approve")
    assert refused.status_code == 409 and 'data-test="run-title"' in text(refused)
    assert db.session.get(BonusRun, run_id).status == "submitted"


def test_rejecting_a_draft_shows_the_run_page_with_a_409(hr1, post, text, computed_run):
    run_id = computed_run(hr1)
    for data in ({"comment": ""}, {"comment": "pourquoi pas"}):
        refused = post(hr1, f"/runs/{run_id}/reject", data)
        assert refused.status_code == 409
        assert 'data-test="run-title"' in text(refused) and "seule une campagne soumise" in text(refused)
