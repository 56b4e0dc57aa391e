"""Objectives: HR publishes a version for a period; each eligible employee reads it (French first), downloads it as
a PDF and acknowledges it; HR sees who did; a run flags lines whose objectives came after the period began."""

from __future__ import annotations

import html
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db
from app.incentives import objectives, runs
from app.incentives.models import ObjectiveAck, ObjectivePublication, RunLine
from app.incentives.schemes import get_version


@pytest.fixture
def worked(app, build_worked_example):
    return build_worked_example()


@pytest.fixture
def hr1(app, worked, client_for):
    return client_for("hr1@test.example")


@pytest.fixture
def publish(post):
    """publish(client, period="2027-Q1", version=1): publish the scheme's objectives from its page."""

    def send(client, period: str = "2027-Q1", version: int = 1):
        return post(
            client,
            "/schemes/STORE-NPS-CSAT/publish",
            {"version": str(version), "period": period},
            page="/schemes/STORE-NPS-CSAT",
        )

    return send


def publication_id() -> int:
    return db.session.scalar(sa.select(ObjectivePublication.id).order_by(ObjectivePublication.id.desc()))


def test_hr_publishes_a_version_which_freezes_it(hr1, text, publish):
    response = publish(hr1)
    assert response.status_code == 302, text(response)
    pub = db.session.get(ObjectivePublication, publication_id())
    assert response.headers["Location"] == f"/objectives/{pub.id}"
    assert (pub.period, pub.published_by) == ("2027-Q1", "hr1@test.example")
    assert get_version("STORE-NPS-CSAT").frozen is True
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "objectives.publish")) is not None


def test_publishing_twice_is_a_409_and_a_wrong_period_names_the_field(hr1, text, publish):
    publish(hr1)
    again = publish(hr1)
    assert again.status_code == 409
    assert "already published" in text(again)
    wrong = publish(hr1, "2027-01")
    assert wrong.status_code == 400
    assert 'data-field="period"' in text(wrong) and "per quarter" in text(wrong)
    before = publish(hr1, "2025-Q4")
    assert before.status_code == 400 and "validity" in text(before)


def test_an_employee_reads_their_objectives_in_french(app, hr1, client_for, text, publish):
    publish(hr1)
    w1 = client_for("w1@test.example")
    listing = text(w1.get("/my/objectives"))
    assert f'data-publication="{publication_id()}"' in listing
    page = text(w1.get(f"/my/objectives/{publication_id()}"))
    assert "Vos objectifs pour 2027-Q1" in page
    assert "Si le NPS de votre magasin atteint 50, cette part est versée à 100 %." in page
    assert "7 500,00 €" in page and "375,00 €" in page  # their own base and target
    assert 'data-lang="en"' not in page  # French speakers get no translation
    assert 'data-test="ack-button"' in page


def test_an_english_speaker_gets_the_french_text_and_its_translation(app, hr1, client_for, text, publish):
    publish(hr1)
    h1 = client_for("h1@test.example")
    page = html.unescape(text(h1.get(f"/my/objectives/{publication_id()}")))
    assert page.index('data-lang="fr"') < page.index('data-lang="en"')
    assert "If your store's NPS reaches 50, this part is paid at 100 %." in page


def test_objectives_not_addressed_to_an_employee_are_a_404(
    app,
    hr1,
    worked,
    make_store,
    make_employee,
    make_user,
    client_for,
    example_data,
    import_example,
    post,
    text,
    publish,
):
    other = make_store("S2", region="East")
    outsider = make_employee(other, number="X1", hire_date=date(2020, 1, 1))
    make_user("x1@test.example", "employee", employee=outsider)
    data = example_data()
    data["eligibility"]["stores"] = ["S1"]
    import_example(data)  # version 1 edited in place: only S1 is eligible
    publish(hr1)
    x1 = client_for("x1@test.example")
    assert f'data-publication="{publication_id()}"' not in text(x1.get("/my/objectives"))
    assert x1.get(f"/my/objectives/{publication_id()}").status_code == 404
    assert x1.get(f"/my/objectives/{publication_id()}.pdf").status_code == 404
    assert post(x1, f"/my/objectives/{publication_id()}/ack", page="/my/objectives").status_code == 404


def test_the_objectives_pdf(app, hr1, client_for, publish):
    publish(hr1)
    w1 = client_for("w1@test.example")
    response = w1.get(f"/my/objectives/{publication_id()}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        extracted = subprocess.run(
            ["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True
        ).stdout.decode()
        flat = " ".join(extracted.replace("\u00a0", " ").replace("\u202f", " ").split())
        assert "Si le NPS de votre magasin atteint 50, cette part est versée à 100 %." in flat


def test_acknowledging_records_the_time_once_and_hr_sees_who_did(app, hr1, worked, client_for, post, text, publish):
    publish(hr1)
    pub = publication_id()
    w1 = client_for("w1@test.example")
    response = post(w1, f"/my/objectives/{pub}/ack", page=f"/my/objectives/{pub}")
    assert response.status_code == 302
    first = db.session.scalar(sa.select(ObjectiveAck.acknowledged_at))
    post(w1, f"/my/objectives/{pub}/ack", page=f"/my/objectives/{pub}")
    assert db.session.scalars(sa.select(ObjectiveAck.acknowledged_at)).all() == [first]
    assert 'data-test="acknowledged"' in text(w1.get(f"/my/objectives/{pub}"))
    page = text(hr1.get(f"/objectives/{pub}"))
    assert "1 of 2 employees" in page or "1 sur 2" in page
    assert '<tr data-employee="W1" class="acked">' in page
    assert '<tr data-employee="H1" class="not-acked">' in page


def test_a_run_flags_lines_whose_objectives_came_late(app, hr1, worked, text):
    version = get_version("STORE-NPS-CSAT")
    objectives.publish(version, "2026-Q3")  # now, long after 1 July 2026
    db.session.commit()
    run = runs.create_run("STORE-NPS-CSAT", "2026-Q3")
    runs.compute(run)
    db.session.commit()
    assert set(db.session.scalars(sa.select(RunLine.objectives_late))) == {True}
    page = text(hr1.get(f"/runs/{run.id}"))
    assert 'data-test="objectives-late"' in page


def test_objectives_published_before_the_period_are_not_late(app, hr1, worked, text):
    version = get_version("STORE-NPS-CSAT")
    objectives.publish(version, "2026-Q3", published_at=datetime(2026, 6, 15, 9, tzinfo=UTC))
    db.session.commit()
    run = runs.create_run("STORE-NPS-CSAT", "2026-Q3")
    runs.compute(run)
    db.session.commit()
    assert set(db.session.scalars(sa.select(RunLine.objectives_late))) == {False}
    assert 'data-test="objectives-late"' not in text(hr1.get(f"/runs/{run.id}"))
    pub = publication_id()
    assert 'data-test="published-late"' not in text(hr1.get(f"/objectives/{pub}"))
