"""Dashboards, comments and HR's other-KPI pages through the test client: figures, scoping, ranking, settings."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.core.models import Setting
from app.extensions import db
from app.feedback.models import KpiDefinition, KpiValue, ResponseContact, SurveyResponse
from app.feedback.ranking import HIDE_RANKING
from tests.conftest import QUARTER_TURN, csrf_token, login


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _card(page: str, key: str) -> str:
    match = re.search(rf'data-kpi="{key}">(.*?)</section>', page)
    assert match, f"no {key} card"
    return re.sub(r"<[^>]+>", "", match.group(1))


def test_manager_lands_on_their_store_and_sees_figures_with_n_and_margin(
    client_as, world, add_responses, add_worked_answers
):
    add_worked_answers(world["north"])
    add_responses(world["north"], "2026-05-10T10:00:00+00:00", nps=[10] * 100 + [0] * 100)  # Q2: 0.0 ± 13.9
    client = client_as("manager")
    landing = client.get("/dashboard?period=2026-Q3")
    assert landing.status_code == 302
    assert landing.headers["Location"] == f"/dashboard/store/{world['north'].id}?period=2026-Q3"
    page = _text(client.get(landing.headers["Location"]))
    nps = _card(page, "nps")
    assert "35.0" in nps and "± 14.2" in nps and "n = 120" in nps
    assert "▲ +35.0" in nps and "2026-Q2" in nps  # the change against the previous quarter
    csat = _card(page, "csat")
    assert "86.25 %" in csat and "n = 80" in csat
    assert "CES" in page and "n = 4" in _card(page, "ces")
    assert page.count("<svg") == 3 and 'class="chart chart-trend"' in page and "chart-distribution" in page
    assert 'data-score="10"' in page and 'fill="#12b76a"' in page and 'fill="#d92d20"' in page
    assert 'data-test="ranking"' not in page  # no ranking on a store's own page
    assert 'data-test="own-past"' in page


def test_a_change_within_the_margin_of_error_is_shown_neutral(client_as, world, add_responses, add_worked_answers):
    add_worked_answers(world["north"])  # Q3: 35.0 ± 14.2
    add_responses(world["north"], "2026-05-10T10:00:00+00:00", nps=[10] * 10 + [0] * 10)  # Q2: 0.0 ± 43.8
    page = _text(client_as("hr").get(f"/dashboard/store/{world['north'].id}?period=2026-Q3"))
    nps = re.search(r'data-kpi="nps">(.*?)</section>', page).group(1)
    # +35.0 is less than √(14.2² + 43.8²) ≈ 46: it may be noise, so neither green nor red.
    assert 'class="delta same within-margin"' in nps and "≈ +35.0" in _card(page, "nps")
    assert "▲" not in _card(page, "nps")


def test_default_period_is_the_company_s_current_quarter_and_bad_periods_are_refused(client_as, world, frozen_time):
    frozen_time(QUARTER_TURN)  # 00:30 on 1 October in Paris, still 30 September in UTC
    client = client_as("hr")
    page = _text(client.get(f"/dashboard/store/{world['north'].id}"))
    assert '<option value="2026-Q4" selected>' in page
    assert client.get(f"/dashboard/store/{world['north'].id}?period=2026-Q9").status_code == 400
    month = _text(client.get(f"/dashboard/store/{world['north'].id}?period=2026-07"))
    assert '<option value="2026-07" selected>' in month and "2026-06" in month


def test_manager_sees_only_their_stores(client_as, world):
    client = client_as("manager")
    south = world["south"]
    assert client.get(f"/dashboard/store/{south.id}").status_code == 404
    assert client.get(f"/dashboard/store/{south.id}/comments").status_code == 404
    assert client.get(f"/dashboard/region/{world['north'].region_id}").status_code == 404
    assert client.get("/dashboard/store/99999").status_code == 404
    assert client_as("employee").get("/dashboard").status_code == 403
    assert client_as("payroll").get("/dashboard").status_code == 403


def test_region_manager_lands_on_their_region_and_sees_its_stores_only(
    app, client, world, make_store, make_employee, make_user, add_responses
):
    other_north = make_store("A2", region="North")
    boss = make_employee(world["north"], job_role="regional_manager", manages=[world["north"].region])
    make_user("regional@test.example", "manager", employee=boss)
    add_responses(world["north"], nps=[10] * 30)
    add_responses(other_north, nps=[0] * 30)
    add_responses(world["south"], nps=[9] * 40)
    login(client, "regional@test.example")
    landing = client.get("/dashboard")
    assert landing.headers["Location"] == f"/dashboard/region/{world['north'].region_id}"
    page = _text(client.get(f"/dashboard/region/{world['north'].region_id}?period=2026-Q3"))
    assert "0.0" in _card(page, "nps") and "n = 60" in _card(page, "nps")  # pooled: (30 − 30) / 60
    assert 'data-store="A1"' in page and 'data-store="A2"' in page and 'data-store="B1"' not in page
    assert client.get(f"/dashboard/region/{world['south'].region_id}").status_code == 404
    assert client.get(f"/dashboard/store/{other_north.id}").status_code == 200
    assert client.get(f"/dashboard/store/{world['south'].id}").status_code == 404


def test_company_ranking_greys_out_stores_below_the_minimum(app, client_as, world, make_store, add_responses):
    small = make_store("C1", region="South")
    add_responses(world["north"], nps=[10] * 20 + [7] * 10)  # 30 answers: ranked
    add_responses(world["south"], nps=[9] * 25 + [0] * 15)  # 40 answers: ranked
    add_responses(small, nps=[10] * 29)  # 29 answers, NPS 100: greyed, not ranked first
    page = _text(client_as("hr").get("/dashboard?period=2026-Q3"))
    rows = re.findall(r'<tr class="(ranked|below-min)" data-store="(\w+)"> <td>([^<]*)</td>', page)
    assert rows == [("ranked", "A1", "1"), ("ranked", "B1", "2"), ("below-min", "C1", "—")]
    assert "n = 160" not in page and "n = 99" in _card(page, "nps")
    app.config["PRIMO_MIN_RESPONSES"] = 25
    try:
        page = _text(client_as("hr").get("/dashboard?period=2026-Q3"))
    finally:
        app.config.pop("PRIMO_MIN_RESPONSES")
    assert re.search(r'<tr class="ranked" data-store="C1"> <td>1</td>', page)


def test_hr_can_hide_the_ranking_from_managers(app, client, client_as, world, make_employee, make_user, add_responses):
    boss = make_employee(world["north"], job_role="regional_manager", manages=[world["north"].region])
    make_user("regional@test.example", "manager", employee=boss)
    add_responses(world["north"], nps=[10] * 30)
    hr = client_as("hr")
    page = _text(hr.get("/dashboard"))
    assert 'data-test="ranking-settings"' in page
    response = hr.post("/dashboard/settings", data={"hide_ranking": "y", "csrf_token": csrf_token(hr, "/dashboard")})
    assert response.status_code == 302
    assert db.session.get(Setting, HIDE_RANKING).value is True
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "setting.change")) is not None
    login(client, "regional@test.example")
    region_page = _text(client.get(f"/dashboard/region/{world['north'].region_id}?period=2026-Q3"))
    assert 'data-test="ranking"' not in region_page
    assert 'data-test="own-past"' in region_page and "2026-Q2" in region_page and "2025-Q3" in region_page
    assert 'data-test="ranking"' in _text(hr.get(f"/dashboard/region/{world['north'].region_id}"))
    hr.post("/dashboard/settings", data={"csrf_token": csrf_token(hr, "/dashboard")})
    db.session.expire_all()
    assert db.session.get(Setting, HIDE_RANKING).value is False
    assert 'data-test="ranking"' in _text(client.get(f"/dashboard/region/{world['north'].region_id}"))


def test_comments_are_filtered_paginated_and_never_show_customer_details(app, client_as, world, add_responses):
    store = world["north"]
    ids = add_responses(store, nps=[10, 8, 2])
    for response_id, text in zip(ids, ["Parfait, merci", "Correct sans plus", "Attente trop longue"], strict=True):
        db.session.get(SurveyResponse, response_id).comment = text
    promoter = db.session.get(SurveyResponse, ids[0])
    promoter.employee_id = world["employee"].id
    detractor = db.session.get(SurveyResponse, ids[2])
    detractor.contact_consent = True
    db.session.add(
        ResponseContact(
            response_id=detractor.id,
            customer_name="Jeanne Secrète",
            customer_contact="jeanne@example.net",
            purge_after=date(2027, 1, 1),
        )
    )
    [hidden] = add_responses(store, nps=[0], excluded=True)
    db.session.get(SurveyResponse, hidden).comment = "Test answer"
    db.session.commit()
    client = client_as("manager")
    page = _text(client.get(f"/dashboard/store/{store.id}/comments"))
    assert "Parfait, merci" in page and "Correct sans plus" in page and "Attente trop longue" in page
    assert "Test answer" not in page
    assert "Jeanne" not in page and "jeanne@example.net" not in page
    assert world["employee"].full_name in page
    only_detractors = _text(client.get(f"/dashboard/store/{store.id}/comments?category=detractor"))
    assert "Attente trop longue" in only_detractors and "Parfait" not in only_detractors
    assert client.get(f"/dashboard/store/{store.id}/comments?category=vip").status_code == 400
    dashboard = _text(client.get(f"/dashboard/store/{store.id}"))
    assert "Parfait, merci" in dashboard and "Jeanne" not in dashboard
    add_responses(store, nps=[9] * 30)
    db.session.execute(sa.update(SurveyResponse).where(SurveyResponse.comment.is_(None)).values(comment="Bien"))
    db.session.commit()
    first = _text(client.get(f"/dashboard/store/{store.id}/comments"))
    assert "Page 1 of 2" in first
    second = _text(client.get(f"/dashboard/store/{store.id}/comments?page=2"))
    assert second.count('class="comment ') == 33 - 25


def test_hr_defines_a_kpi_and_enters_a_value_shown_on_the_store_dashboard(app, client_as, world):
    hr = client_as("hr")
    token = csrf_token(hr, "/kpis")
    bad = hr.post(
        "/kpis",
        data={"code": "Bad code", "name": "x", "direction": "higher", "aggregate": "mean", "csrf_token": token},
    )
    assert bad.status_code == 400 and "lower-case letters" in bad.get_data(as_text=True)
    created = hr.post(
        "/kpis",
        data={
            "code": "google_rating",
            "name": "Google rating",
            "unit": "stars",
            "direction": "higher",
            "aggregate": "mean",
            "csrf_token": token,
        },
    )
    assert created.status_code == 302
    kpi = db.session.scalar(sa.select(KpiDefinition).where(KpiDefinition.code == "google_rating"))
    assert kpi is not None and "followup_48h" in _text(hr.get("/kpis"))
    form = {"kpi": str(kpi.id), "store": str(world["north"].id), "csrf_token": csrf_token(hr, "/kpis/values")}
    wrong = hr.post("/kpis/values", data={**form, "period": "2026-13", "value": "4,5"})
    assert wrong.status_code == 400
    for month, value in (("2026-07", "4,5"), ("2026-08", "4.1")):
        assert hr.post("/kpis/values", data={**form, "period": month, "value": value}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KpiValue)) == 2
    page = _text(hr.get(f"/dashboard/store/{world['north'].id}?period=2026-Q3"))
    assert re.search(r'data-kpi="google_rating"><td>Google rating</td> <td>4.30 stars</td>', page)
