"""eNPS pulse surveys: opening them, answering without a trace of who answered, and results that hide small groups."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.audit.models import AuditEvent
from app.extensions import db
from app.org.models import Store
from app.pulse import services
from app.pulse.models import PulseAnswer, PulseParticipation, PulseSurvey
from app.recognition.models import PointsEntry
from tests.conftest import PASSWORD, csrf_token, login


def _results(runner, survey_id: int) -> dict:
    result = runner.invoke(args=["pulse", "results", str(survey_id), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- opening a survey -----------------------------------------------------------------------------------------------


def test_pulse_create_opens_a_survey_of_the_stores_named_and_prints_its_id(runner, make_store):
    a, _b = make_store("A1"), make_store("B1", region="South")
    result = runner.invoke(
        args=[
            "pulse",
            "create",
            "--name",
            "Autumn pulse",
            "--period",
            "2026-Q4",
            "--store",
            "A1",
            "--question",
            "J'ai les moyens de bien faire mon travail::I have what I need to do my job well",
        ]
    )
    assert result.exit_code == 0, result.output
    survey = db.session.get(PulseSurvey, int(result.output.strip().splitlines()[-1]))
    assert (survey.name, survey.period, survey.is_open, survey.whole_company) == (
        "Autumn pulse",
        "2026-Q4",
        True,
        False,
    )
    assert [s.store_id for s in survey.stores] == [a.id]
    assert survey.enps_question.text_en.startswith("On a scale from 0 to 10")
    assert survey.items[0].text_fr == "J'ai les moyens de bien faire mon travail"
    assert len(survey.stores[0].code) == 9


def test_pulse_create_without_stores_asks_the_whole_company(runner, make_store):
    make_store("A1"), make_store("B1", region="South")
    result = runner.invoke(args=["pulse", "create", "--name", "All", "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    survey = db.session.get(PulseSurvey, int(result.output.strip().splitlines()[-1]))
    assert survey.whole_company and len(survey.stores) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-Q5"], "2026-Q5"),
        (["--period", "2026-Q4", "--store", "ZZ"], "unknown store code ZZ"),
        (["--period", "2026-Q4", "--question", "sans traduction"], "--question 1"),
        (["--period", "2026-Q4"] + ["--question", "a::b"] * 6, "at most 5 questions"),
    ],
)
def test_pulse_create_refuses_bad_input_and_writes_nothing(runner, make_store, args, message):
    make_store("A1")
    result = runner.invoke(args=["pulse", "create", "--name", "X", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PulseSurvey)) == 0


def test_hr_opens_a_survey_from_the_page(client_as, world, post):
    hr = client_as("hr")
    response = post(
        hr,
        "/pulse/new",
        {
            "name": "Winter pulse",
            "period": "2026-12",
            "stores": ["A1"],
            "enps_fr": "Recommanderiez-vous ?",
            "enps_en": "Would you recommend?",
            "item_fr_1": "Je suis fier",
            "item_en_1": "I am proud",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    survey = db.session.scalar(sa.select(PulseSurvey))
    assert [s.store.code for s in survey.stores] == ["A1"]
    assert survey.items[0].text_en == "I am proud"


def test_a_question_without_its_english_text_is_refused_on_the_page(client_as, world, post):
    response = post(
        client_as("hr"),
        "/pulse/new",
        {"name": "P", "period": "2026-12", "whole_company": "y", "enps_fr": "a", "enps_en": "b", "item_fr_1": "Seul"},
    )
    assert response.status_code == 400
    assert "question 1: the text in en is missing" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PulseSurvey)) == 0


# --- answering ------------------------------------------------------------------------------------------------------


def test_an_employee_answers_from_their_home_page_and_the_answer_carries_nothing_of_them(
    client_as, world, make_pulse, post
):
    survey = make_pulse([world["north"]])
    client = client_as("employee")
    home = client.get("/").get_data(as_text=True)
    assert f"/pulse/{survey.id}/answer" in home
    response = post(client, f"/pulse/{survey.id}/answer", {"enps": "9"})
    assert response.status_code == 302
    page = client.get(f"/pulse/{survey.id}/answer").get_data(as_text=True)
    assert 'data-test="new-code"' in page

    row = db.session.scalar(sa.select(PulseAnswer))
    assert (row.enps, row.store_id) == (9, world["north"].id)
    employee = world["employee"]
    # Nothing on the row is the employee's id, number or anything the database can compute from them.
    columns = {c.name: getattr(row, c.key) for c in PulseAnswer.__table__.columns}
    assert set(columns) == {"id", "survey_id", "store_id", "enps", "items", "key_hash"}
    for value in (employee.id, employee.number, employee.payroll_id, world["users"]["employee"].id):
        assert str(value) not in {str(v) for k, v in columns.items() if k not in ("survey_id", "store_id", "enps")}
    assert db.session.get(PulseParticipation, (survey.id, employee.id)) is not None


def test_one_answer_per_employee_changeable_with_the_cookie_until_the_survey_closes(client_as, world, make_pulse, post):
    survey = make_pulse([world["north"]])
    client = client_as("employee")
    assert post(client, f"/pulse/{survey.id}/answer", {"enps": "3"}).status_code == 302
    # The same browser changes the answer: the signed cookie holds the change key.
    assert post(client, f"/pulse/{survey.id}/answer", {"enps": "10"}).status_code == 302
    assert [a.enps for a in db.session.scalars(sa.select(PulseAnswer))] == [10]

    # Another browser, without the cookie or the code, cannot add a second answer.
    other = client_as("employee")
    response = post(other, f"/pulse/{survey.id}/answer", {"enps": "0"})
    assert response.status_code == 409
    assert "already answered" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PulseAnswer)) == 1

    services.close_survey(db.session.get(PulseSurvey, survey.id))
    db.session.commit()
    response = post(client, f"/pulse/{survey.id}/answer", {"enps": "5"})
    assert response.status_code == 409
    assert [a.enps for a in db.session.scalars(sa.select(PulseAnswer))] == [10]


def test_a_pulse_rule_pays_once_on_the_first_answer_and_never_names_the_answer(
    client_as, world, make_pulse, post, runner
):
    result = runner.invoke(args=["points", "rules", "add", "--event", "pulse_answered", "--points", "5"])
    assert result.exit_code == 0, result.output
    survey = make_pulse([world["north"]])
    client = client_as("employee")
    assert post(client, f"/pulse/{survey.id}/answer", {"enps": "4"}).status_code == 302
    # Changing the answer (the cookie holds the change key) pays nothing more.
    assert post(client, f"/pulse/{survey.id}/answer", {"enps": "9"}).status_code == 302
    # Nor does a second attempt from another browser (refused: one answer each).
    assert post(client_as("employee"), f"/pulse/{survey.id}/answer", {"enps": "0"}).status_code == 409
    db.session.expire_all()
    employee = world["employee"]
    paid = list(db.session.scalars(sa.select(PointsEntry).where(PointsEntry.employee_id == employee.id)))
    assert [(e.points, e.event, e.rule_id is not None) for e in paid] == [(5, f"pulse:{survey.id}", True)]

    row = db.session.scalar(sa.select(PulseAnswer))
    assert row.enps == 9
    # The entry says "answered survey X" and nothing of which answer, its scores or its key.
    entry = paid[0]
    written = " ".join(str(getattr(entry, c.key)) for c in PointsEntry.__table__.columns)
    assert row.id not in written and row.key_hash not in written
    assert {c.name for c in PulseAnswer.__table__.columns} == {
        "id",
        "survey_id",
        "store_id",
        "enps",
        "items",
        "key_hash",
    }
    audit = " ".join(f"{a.summary} {a.before} {a.after}" for a in db.session.scalars(sa.select(AuditEvent)))
    assert row.id not in audit and row.key_hash not in audit


def test_the_change_code_shown_once_changes_the_answer_from_another_device(client_as, world, make_pulse, post):
    survey = make_pulse([world["north"]])
    first = client_as("employee")
    post(first, f"/pulse/{survey.id}/answer", {"enps": "4"})
    page = first.get(f"/pulse/{survey.id}/answer").get_data(as_text=True)
    code = page.split('class="pulse-code">')[1].split("<")[0]
    assert 'data-test="new-code"' not in first.get(f"/pulse/{survey.id}/answer").get_data(as_text=True)

    other = client_as("employee")
    assert post(other, f"/pulse/{survey.id}/answer", {"enps": "8", "change_code": "WRONG-CODE-0000"}).status_code == 409
    assert post(other, f"/pulse/{survey.id}/answer", {"enps": "8", "change_code": code.lower()}).status_code == 302
    assert [a.enps for a in db.session.scalars(sa.select(PulseAnswer))] == [8]


def test_a_cookie_from_someone_else_on_a_shared_browser_opens_nothing(
    app, world, make_pulse, make_user, make_employee, post
):
    survey = make_pulse([world["north"]])
    colleague = make_employee(world["north"], first_name="Cole")
    make_user("cole@test.example", "employee", employee=colleague)
    client = app.test_client()
    login(client, world["users"]["employee"].email)
    post(client, f"/pulse/{survey.id}/answer", {"enps": "2"})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "cole@test.example", PASSWORD)
    page = client.get(f"/pulse/{survey.id}/answer").get_data(as_text=True)
    assert "checked" not in page  # Eve's answer is not shown to Cole
    assert post(client, f"/pulse/{survey.id}/answer", {"enps": "9"}).status_code == 302
    assert sorted(a.enps for a in db.session.scalars(sa.select(PulseAnswer))) == [2, 9]


def test_an_employee_of_a_store_not_asked_cannot_answer(client_as, world, make_pulse, post):
    survey = make_pulse([world["south"]])
    client = client_as("employee")
    assert client.get(f"/pulse/{survey.id}/answer").status_code == 404
    assert post(client, f"/pulse/{survey.id}/answer", {"enps": "9"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PulseAnswer)) == 0


@pytest.mark.parametrize("data", [{}, {"enps": "11"}, {"enps": "-1"}, {"enps": "x"}, {"enps": "5", "item_1": "6"}])
def test_bad_scores_are_refused_with_a_message(client_as, world, make_pulse, post, data):
    survey = make_pulse([world["north"]], items=["I am proud"])
    response = post(client_as("employee"), f"/pulse/{survey.id}/answer", data)
    assert response.status_code == 400
    assert "choose a score" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PulseAnswer)) == 0


def test_staff_without_a_login_answer_with_the_printed_store_code(app, client_as, world, make_pulse):
    survey = make_pulse([world["north"], world["south"]])
    sheet = client_as("hr").get(f"/pulse/{survey.id}/codes").get_data(as_text=True)
    code = next(s.code for s in survey.stores if s.store_id == world["south"].id)
    assert code in sheet

    anonymous = app.test_client()
    entry = anonymous.get(f"/pulse/code?code={code.replace('-', '').lower()}")
    assert entry.status_code == 302 and entry.headers["Location"] == f"/pulse/code/{code}"
    token = csrf_token(anonymous, f"/pulse/code/{code}")
    response = anonymous.post(f"/pulse/code/{code}", data={"csrf_token": token, "enps": "7"})
    assert response.status_code == 302
    row = db.session.scalar(sa.select(PulseAnswer))
    assert (row.enps, row.store_id) == (7, world["south"].id)
    assert anonymous.get("/pulse/code?code=ZZZZ-ZZZZ").status_code == 404


def test_unknown_store_codes_are_limited_per_address_but_a_good_code_is_not(app, world, make_pulse, monkeypatch):
    monkeypatch.setitem(app.config, "PRIMO_PULSE_CODE_LIMIT", "3 per hour")
    survey = make_pulse([world["north"]])
    good = survey.stores[0].code
    client = app.test_client()
    assert [client.get(f"/pulse/code/{good}").status_code for _ in range(5)] == [200] * 5
    statuses = [client.get(f"/pulse/code/AAAA-AAA{i}").status_code for i in range(2, 6)]
    assert statuses == [404, 404, 404, 429]
    assert client.get(f"/pulse/code?code={good}").status_code == 429  # the entry page shares the count


def test_answers_posted_with_a_store_code_are_limited_per_address(app, world, make_pulse, monkeypatch):
    monkeypatch.setitem(app.config, "PRIMO_PULSE_ANSWER_LIMIT", "2 per hour")
    code = make_pulse([world["north"]]).stores[0].code
    client = app.test_client()
    token = csrf_token(client, f"/pulse/code/{code}")
    statuses = [client.post(f"/pulse/code/{code}", data={"csrf_token": token, "enps": "10"}).status_code for _ in "abc"]
    assert statuses == [302, 302, 429]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PulseAnswer)) == 2


def test_a_personal_link_opens_the_form_without_a_login(app, runner, world, make_pulse):
    survey = make_pulse([world["north"]])
    result = runner.invoke(args=["pulse", "links", str(survey.id), "--base-url", "https://primo.example"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "employee_number,email,link"
    line = next(row for row in lines if row.startswith(world["employee"].number))
    link = line.split(",")[-1].removeprefix("https://primo.example")
    client = app.test_client()
    token = csrf_token(client, link)
    assert client.post(link, data={"csrf_token": token, "enps": "6"}).status_code == 302
    assert db.session.get(PulseParticipation, (survey.id, world["employee"].id)) is not None
    # The employee has answered: the link without the cookie cannot add a second answer.
    fresh = app.test_client()
    assert fresh.post(link, data={"csrf_token": csrf_token(fresh, link), "enps": "1"}).status_code == 409
    assert app.test_client().get(link[:-3] + "abc").status_code == 404


# --- results --------------------------------------------------------------------------------------------------------


def test_results_json_hides_stores_under_five_answers(runner, make_store, make_pulse, add_pulse_answers):
    a, b, c = make_store("A1"), make_store("A2"), make_store("A3")
    survey = make_pulse([a, b, c])
    add_pulse_answers(survey, a, [10, 10, 9, 8, 7, 3, 10, 9, 0, 10])  # 6 promoters, 2 passives, 2 detractors
    add_pulse_answers(survey, b, [9, 9, 9, 9, 9, 9])
    add_pulse_answers(survey, c, [0, 0, 0])
    data = _results(runner, survey.id)
    assert (data["n"], data["promoters"], data["passives"], data["detractors"]) == (19, 12, 2, 5)
    assert Decimal(str(data["enps"])) == Decimal("36.8")
    assert data["moe"] is not None
    by_store = {row["store"]: row for row in data["by_store"]}
    assert by_store["A3"] == {"store": "A3", "hidden": True}
    # A1 and A2 alone would give A3 by subtraction from the region: the smaller one is hidden too.
    assert by_store["A2"] == {"store": "A2", "hidden": True}
    assert by_store["A1"] == {"store": "A1", "enps": 40.0, "n": 10}


def test_results_of_a_survey_under_five_answers_show_nothing(runner, make_store, make_pulse, add_pulse_answers):
    a = make_store("A1")
    survey = make_pulse([a])
    add_pulse_answers(survey, a, [10, 0])
    data = _results(runner, survey.id)
    assert data["hidden"] is True
    assert data["enps"] is None and data["n"] is None and data["promoters"] is None
    assert data["by_store"] == [{"store": "A1", "hidden": True}]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(0, 8), min_size=2, max_size=4))
def test_no_store_figure_shown_and_no_subtraction_reveals_fewer_than_five(
    app, runner, make_store, make_pulse, add_pulse_answers, sizes
):
    db.session.execute(sa.delete(PulseAnswer))
    stores = [db.session.scalar(sa.select(Store).where(Store.code == f"H{i}")) or make_store(f"H{i}") for i in range(4)]
    survey = make_pulse(stores[: len(sizes)])
    for store, size in zip(stores, sizes, strict=False):
        add_pulse_answers(survey, store, [9] * size)
    data = _results(runner, survey.id)
    shown = [row for row in data["by_store"] if not row.get("hidden")]
    assert all(row["n"] >= 5 for row in shown)
    if data["n"] is not None:
        residue = data["n"] - sum(row["n"] for row in shown)
        assert residue == 0 or residue >= 5
    else:
        assert sum(sizes) < 5 and not shown


def test_hr_results_page_shows_not_enough_answers_and_the_correlation(
    client_as, make_store, make_pulse, add_pulse_answers, add_month_responses
):
    stores = [make_store(f"C{i}", region="North") for i in range(4)] + [make_store("D1", region="South")]
    survey = make_pulse(stores, period="2026-07")
    for i, store in enumerate(stores[:4]):
        add_pulse_answers(survey, store, [10] * (3 + i) + [0] * 3)  # eNPS rises with i
        add_month_responses(store, 7, nps=[10] * (5 + 2 * i) + [0] * 5, csat=[])  # so does NPS
    add_pulse_answers(survey, stores[4], [8, 8])
    hr = client_as("hr")
    page = hr.get(f"/pulse/{survey.id}").get_data(as_text=True)
    assert 'data-store="D1" data-hidden="yes"' in page
    # The company minus North would give South's 2 answers: North and its smallest store go hidden as well.
    assert 'data-region="North"' in page and 'data-store="C0" data-hidden="yes"' in page
    assert 'data-store="C3" data-hidden="no"' in page
    assert "not enough answers" in page
    assert 'data-test="scatter"' in page and "<svg" in page
    assert 'data-n="3"' in page
    assert "r = 0.9" in page or "r = 1.0" in page
    assert "correlation, not proof" in page


def _row(page: str, attribute: str) -> str:
    """The HTML of the results table row carrying that data attribute (data-store="C1", data-region="North")."""
    match = re.search(rf"<tr[^>]*{attribute}[^>]*>(.*?)</tr>", page, re.S)
    assert match, attribute
    return match.group(1)


def test_the_results_page_sets_customer_nps_and_store_engagement_beside_enps(
    client_as, runner, tmp_path, make_store, make_pulse, add_pulse_answers, add_month_responses
):
    shown, hidden, other = make_store("C1", region="North"), make_store("C2", region="North"), make_store("D1")
    survey = make_pulse([shown, hidden, other], period="2026-07")
    add_pulse_answers(survey, shown, [10] * 6)
    add_pulse_answers(survey, hidden, [10, 10])
    add_pulse_answers(survey, other, [0] * 5)
    add_month_responses(shown, 7, nps=[10, 10, 10, 0], csat=[])  # customer NPS +50.0
    add_month_responses(hidden, 7, nps=[0, 0], csat=[])  # -100.0
    figures = tmp_path / "engagement.csv"
    figures.write_text(
        "store_code,period,headcount,leavers,absence_days,worked_days\nC1,2026-07,10,1,12,300\nC2,2026-07,4,1,6,80\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["engagement", "import", str(figures)])
    assert result.exit_code == 0, result.output
    page = client_as("hr").get(f"/pulse/{survey.id}").get_data(as_text=True)

    c1 = _row(page, 'data-store="C1"')
    assert 'data-test="enps"' in c1 and "50.0" in c1 and "10.00&nbsp;%" in c1 and "4.00&nbsp;%" in c1
    # C2's eNPS stays hidden (2 answers; D1 with it, or North minus the others would give them); its HR figures do not.
    c2 = _row(page, 'data-store="C2"')
    assert "not enough answers" in _row(page, 'data-store="D1"')
    assert "not enough answers" in c2 and "-100.0" in c2 and "25.00&nbsp;%" in c2 and "7.50&nbsp;%" in c2
    # Turnover and absenteeism per store only: the region row carries the customer NPS, not them.
    north = _row(page, 'data-region="North"')
    assert "%" not in north.split('data-test="nps"')[1]
    assert 'data-test="turnover"' not in north
    assert "Customer NPS" in page and "Staff turnover" in page and "Absenteeism" in page


def test_the_results_page_is_in_french_for_a_french_reader(
    client_for, make_store, make_pulse, add_pulse_answers, make_user
):
    store = make_store("A1")
    survey = make_pulse([store])
    add_pulse_answers(survey, store, [1, 2])
    make_user("rh@test.example", "hr")
    client = client_for("rh@test.example")
    client.post("/language", data={"language": "fr", "csrf_token": csrf_token(client, "/")})
    page = client.get(f"/pulse/{survey.id}").get_data(as_text=True)
    assert "pas assez de réponses" in page


def test_the_trend_lists_each_survey_with_its_company_enps(client_as, world, make_pulse, add_pulse_answers):
    first = make_pulse([world["north"]], period="2026-Q2", name="Spring")
    add_pulse_answers(first, world["north"], [9] * 5)
    second = make_pulse([world["north"]], period="2026-Q3", name="Summer")
    add_pulse_answers(second, world["north"], [0] * 2)
    page = client_as("hr").get("/pulse/").get_data(as_text=True)
    assert "Spring" in page and "Summer" in page
    assert 'data-test="trend"' in page
    assert "100.0" in page
    assert "not enough answers" in page


def test_the_demo_company_has_a_pulse_with_hidden_stores(seed_demo, app, runner):
    assert seed_demo().exit_code == 0
    survey = db.session.scalar(sa.select(PulseSurvey).where(PulseSurvey.status == "closed"))
    data = _results(runner, survey.id)
    assert data["n"] >= 50
    hidden = [row for row in data["by_store"] if row.get("hidden")]
    assert 2 <= len(hidden) < len(data["by_store"])


def test_hr_closes_a_survey_from_its_page_and_the_audit_log_says_so(client_as, world, make_pulse, post):
    survey = make_pulse([world["north"]])
    hr = client_as("hr")
    response = post(hr, f"/pulse/{survey.id}/close", page=f"/pulse/{survey.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PulseSurvey, survey.id).status == "closed"
    assert post(hr, f"/pulse/{survey.id}/close", page=f"/pulse/{survey.id}").status_code == 409
    audit = hr.get("/audit/").get_data(as_text=True)
    assert "pulse.close" in audit and "pulse.create" in audit


def test_pulse_results_prints_each_store_under_its_region(runner, make_store, make_pulse, add_pulse_answers):
    a, b = make_store("A1"), make_store("B1", region="South")
    survey = make_pulse([a, b])
    add_pulse_answers(survey, a, [10] * 6)
    add_pulse_answers(survey, b, [0] * 5)
    result = runner.invoke(args=["pulse", "results", str(survey.id)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[2].split() == ["company", "9.1", "58.9", "11"]  # 6 promoters, 5 detractors: ±1.96·√((1 − (1/11)²)/11)
    assert [line.split()[0] for line in lines[3:]] == ["North", "A1", "South", "B1"]
    assert runner.invoke(args=["pulse", "results", "999"]).exit_code != 0
