"""Automatic points: HR's rules, the events that fire them, paid once per event within a monthly cap, company-funded.

Also the team challenges: created from the command line, settled at their end with the bonuses' n rule, paid
pro-rata of presence, never twice.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.feedback import ingest, sources
from app.feedback.webhook import signature
from app.recognition import rules
from app.recognition.models import BadgeGrant, BudgetEntry, Challenge, PointsEntry
from tests.conftest import csrf_token


def entries_of(employee_id: int) -> list[PointsEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(PointsEntry).where(PointsEntry.employee_id == employee_id).order_by(PointsEntry.id)
        )
    )


def earned(employee_id: int) -> int:
    return sum(e.points for e in entries_of(employee_id) if e.kind == "earn")


def add_rule(runner, *args: str) -> int:
    result = runner.invoke(args=["points", "rules", "add", *args])
    assert result.exit_code == 0, result.output
    return int(result.output.split()[1].rstrip(":"))


def survey_file(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ingest.ALL_COLUMNS)
        for values in rows:
            writer.writerow([values.get(c, "") for c in ingest.ALL_COLUMNS])
    return path


def promoter_row(external_id: str, number: str, nps: str = "10", day: str = "2026-07-10") -> dict[str, str]:
    return {
        "external_id": external_id,
        "store_code": "A1",
        "answered_at": f"{day}T10:00:00",
        "channel": "email",
        "nps": nps,
        "employee_number": number,
        "contact_consent": "false",
    }


# --- rules: the command line ----------------------------------------------------------------------------------------


def test_rules_add_and_list_json_print_each_rule_with_its_cap_and_badge(app, world, runner, make_badge):
    make_badge("star-seller")
    add_rule(runner, "--event", "promoter_named", "--points", "20", "--badge", "star-seller", "--cap-per-month", "50")
    add_rule(runner, "--event", "store_kpi", "--points", "30", "--kpi", "csat", "--threshold", "90")
    result = runner.invoke(args=["points", "rules", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [r["event"] for r in listed] == ["promoter_named", "store_kpi"]
    assert listed[0] | {"id": 0} == {
        "id": 0,
        "event": "promoter_named",
        "points": 20,
        "badge": "star-seller",
        "cap_per_month": 50,
        "active": True,
        "kpi": None,
        "threshold": None,
        "min_answers": 30,
    }
    assert listed[1]["threshold"] == 90 and listed[1]["kpi"] == "csat"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--event", "birthday", "--points", "5"], "event"),
        (["--event", "promoter_named", "--points", "0"], "points"),
        (["--event", "promoter_named", "--points", "5", "--cap-per-month", "0"], "cap_per_month"),
        (["--event", "promoter_named", "--points", "5", "--badge", "nope"], "badge"),
        (["--event", "store_kpi", "--points", "5"], "kpi"),
        (["--event", "store_kpi", "--points", "5", "--kpi", "csat", "--threshold", "lots"], "threshold"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_option_and_nothing_is_written(app, world, runner, args, named):
    result = runner.invoke(args=["points", "rules", "add", *args])
    assert result.exit_code != 0
    assert named in result.output
    assert rules.all_rules() == []


# --- rules: events --------------------------------------------------------------------------------------------------


def test_a_promoter_naming_an_employee_pays_once_even_when_the_file_is_imported_again(app, world, runner, tmp_path):
    rule_id = add_rule(runner, "--event", "promoter_named", "--points", "20")
    eve = world["employee"]
    path = survey_file(
        tmp_path / "answers.csv",
        [promoter_row("p-1", eve.number), promoter_row("p-2", eve.number, nps="6"), promoter_row("p-3", "")],
    )
    for _attempt in range(2):
        result = runner.invoke(args=["surveys", "import", str(path)])
        assert result.exit_code == 0, result.output
    assert runner.invoke(args=["points", "rules", "apply", "--as-of", "2026-07-20"]).exit_code == 0
    paid = entries_of(eve.id)
    assert [(e.kind, e.points, e.rule_id, e.on_date) for e in paid] == [("earn", 20, rule_id, date(2026, 7, 10))]
    assert paid[0].event.startswith("response:") and paid[0].store_id == world["north"].id
    # Company-funded: no manager's budget moved.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BudgetEntry)) == 0


def test_a_rule_pays_no_more_than_its_monthly_cap_and_starts_again_next_month(app, world, runner, tmp_path, make_badge):
    make_badge("fan")
    add_rule(runner, "--event", "promoter_named", "--points", "20", "--cap-per-month", "50", "--badge", "fan")
    eve = world["employee"]
    rows = [promoter_row(f"c-{i}", eve.number) for i in range(4)] + [
        promoter_row("c-aug", eve.number, day="2026-08-02")
    ]
    assert runner.invoke(args=["surveys", "import", str(survey_file(tmp_path / "a.csv", rows))]).exit_code == 0
    july = [e.points for e in entries_of(eve.id) if e.on_date.month == 7]
    assert july == [20, 20, 10]
    assert [e.points for e in entries_of(eve.id) if e.on_date.month == 8] == [20]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BadgeGrant)) == 4


def test_a_rule_switched_off_pays_nothing(app, world, runner, add_answer):
    rule_id = add_rule(runner, "--event", "promoter_named", "--points", "20", "--off")
    add_answer(world["north"], employee=world["employee"])
    rules.apply(clock.today())
    assert earned(world["employee"].id) == 0
    assert runner.invoke(args=["points", "rules", "on", str(rule_id)]).exit_code == 0
    rules.apply(clock.today())
    db.session.commit()
    assert earned(world["employee"].id) == 20


def _post(client, source, payload: dict) -> int:
    body = json.dumps(payload).encode()
    headers = {"X-Primo-Signature": signature("generic", source["secret"], body)}
    return client.post(f"/api/feedback/{source['name']}", data=body, headers=headers, content_type="application/json")


def test_concurrent_webhooks_pay_each_response_once_and_never_past_the_cap(app, world, runner, concurrently):
    add_rule(runner, "--event", "promoter_named", "--points", "20", "--cap-per-month", "50")
    created = sources.create_source("shop-app", "generic")
    db.session.commit()
    source = {"name": created.name, "secret": created.secret}
    eve = world["employee"]
    answered = (datetime.now(UTC) - timedelta(hours=2)).isoformat()

    def send(external_id: str):
        payload = promoter_row(external_id, eve.number) | {"answered_at": answered, "contact_consent": False}

        def attempt() -> str:
            return str(_post(app.test_client(), source, payload).status_code)

        return attempt

    # The same response six times at once: stored once, paid once.
    outcomes = concurrently(*(send("same") for _ in range(6)))
    assert sorted(outcomes).count("201") == 1 and set(outcomes) <= {"200", "201"}
    assert earned(eve.id) == 20
    # Six different responses at once: the cap (50 a month) holds.
    outcomes = concurrently(*(send(f"other-{i}") for i in range(6)))
    assert outcomes.count("201") == 6
    assert earned(eve.id) == 50
    events = [e.event for e in entries_of(eve.id)]
    assert len(events) == len(set(events))


def test_a_case_resolved_within_48_hours_pays_whoever_resolved_it(
    app, world, runner, client_as, add_response, add_case
):
    add_rule(runner, "--event", "case_closed_fast", "--points", "15")
    eve = world["employee"]
    fast = add_case(add_response(world["north"]), assignee=eve)
    late = add_case(
        add_response(world["north"], answered_at=datetime.now(UTC) - timedelta(days=3)),
        assignee=eve,
        due_at=datetime.now(UTC) - timedelta(days=1),
    )
    client = client_as("employee")
    for case in (fast, late):
        token = csrf_token(client, f"/cases/{case.id}")
        response = client.post(
            f"/cases/{case.id}/status", data={"csrf_token": token, "status": "resolved", "outcome": "apologised"}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    paid = entries_of(eve.id)
    assert [(e.points, e.event) for e in paid] == [(15, f"case:{fast.id}")]


def test_objectives_acknowledged_and_pulse_answers_pay_once_per_occurrence(app, world, runner):
    add_rule(runner, "--event", "objectives_acknowledged", "--points", "10")
    add_rule(runner, "--event", "pulse_answered", "--points", "5")
    eve = world["employee"]
    for _again in range(2):
        rules.on_objectives_acknowledged(7, eve.id, clock.today())
        rules.on_pulse_answered(3, eve.id, clock.today())  # survey 3
        db.session.commit()
    assert sorted(e.event for e in entries_of(eve.id)) == ["ack:7", "pulse:3"]


def test_work_anniversaries_pay_once_a_year_to_those_still_there(app, world, runner, make_employee):
    add_rule(runner, "--event", "work_anniversary", "--points", "100")
    veteran = make_employee(world["north"], hire_date=date(2019, 3, 10))
    gone = make_employee(world["north"], hire_date=date(2019, 3, 10), exit_date=date(2026, 3, 1))
    for _again in range(2):
        assert runner.invoke(args=["points", "rules", "apply", "--as-of", "2026-03-15"]).exit_code == 0
    assert [(e.points, e.on_date, e.event) for e in entries_of(veteran.id)] == [
        (100, date(2026, 3, 10), "anniversary:2026")
    ]
    assert entries_of(gone.id) == []


def test_a_store_reaching_a_kpi_threshold_pays_its_team_pro_rata_of_presence(
    app, world, runner, make_employee, add_responses
):
    add_rule(runner, "--event", "store_kpi", "--points", "62", "--kpi", "csat", "--threshold", "90")
    newcomer = make_employee(world["north"], hire_date=date(2026, 7, 17))  # 15 of July's 31 days
    add_responses(world["north"], "2026-07-08T10:00:00+00:00", csat=[5] * 30)
    add_responses(world["south"], "2026-07-08T10:00:00+00:00", csat=[5] * 29)  # too few answers
    for _again in range(2):
        assert runner.invoke(args=["points", "rules", "apply", "--as-of", "2026-08-03"]).exit_code == 0
    assert earned(world["employee"].id) == 62
    assert earned(newcomer.id) == 30
    assert earned(world["stranger"].id) == 0
    assert entries_of(newcomer.id)[0].event == f"store:{world['north'].id}:2026-07"


# --- challenges -----------------------------------------------------------------------------------------------------


def create(runner, *args: str):
    return runner.invoke(args=["challenges", "create", *args])


def test_a_met_challenge_pays_its_members_pro_rata_once_however_often_it_is_settled(
    app, world, runner, make_employee, add_responses, frozen_time
):
    frozen_time(datetime(2026, 8, 20, 10, tzinfo=UTC))
    newcomer = make_employee(world["north"], hire_date=date(2026, 8, 6))  # 5 of the 10 days
    result = create(runner, "--store", "A1", "--kpi", "csat", "--goal", "90", "--from", "2026-08-01", "--to",
                    "2026-08-10", "--points", "100")  # fmt: skip
    assert result.exit_code == 0, result.output
    challenge_id = int(result.output.split()[-1])
    add_responses(world["north"], "2026-08-05T10:00:00+00:00", csat=[5] * 28 + [4] * 2)
    add_responses(world["north"], "2026-08-12T10:00:00+00:00", csat=[1] * 50)  # after the end: not counted
    for _again in range(2):
        result = runner.invoke(args=["challenges", "settle"])
        assert result.exit_code == 0, result.output
    challenge = db.session.get(Challenge, challenge_id)
    db.session.refresh(challenge)
    assert (challenge.status, challenge.result, challenge.result_n) == ("met", 100, 30)
    assert [(e.points, e.challenge_id) for e in entries_of(world["employee"].id)] == [(100, challenge_id)]
    assert earned(newcomer.id) == 50
    assert earned(world["stranger"].id) == 0
    listed = json.loads(runner.invoke(args=["challenges", "list", "--json"]).output)
    assert listed[0]["status"] == "met" and listed[0]["from"] == "2026-08-01"


def test_a_challenge_with_too_few_answers_is_missed_and_pays_nothing(app, world, runner, add_responses, frozen_time):
    frozen_time(datetime(2026, 8, 20, 10, tzinfo=UTC))
    create(runner, "--region", "North", "--kpi", "csat", "--goal", "90", "--from", "2026-08-01", "--to", "2026-08-10",
           "--points", "100")  # fmt: skip
    add_responses(world["north"], "2026-08-05T10:00:00+00:00", csat=[5] * 29)
    assert "0 met, 1 missed" in runner.invoke(args=["challenges", "settle"]).output
    assert earned(world["employee"].id) == 0


def test_a_running_challenge_is_not_settled_before_its_last_day_is_over(app, world, runner, add_responses, frozen_time):
    frozen_time(datetime(2026, 8, 10, 10, tzinfo=UTC))
    create(runner, "--store", "A1", "--kpi", "csat", "--goal", "90", "--from", "2026-08-01", "--to", "2026-08-10",
           "--points", "100")  # fmt: skip
    add_responses(world["north"], "2026-08-05T10:00:00+00:00", csat=[5] * 30)
    assert "0 met, 0 missed" in runner.invoke(args=["challenges", "settle"]).output
    assert runner.invoke(args=["challenges", "settle", "--as-of", "2026-08-30"]).exit_code != 0


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--store", "A1", "--region", "North"], "--store"),
        (["--store", "ZZ"], "--store"),
        (["--region", "Nowhere"], "--region"),
        (["--store", "A1", "--kpi", "mood"], "--kpi"),
        (["--store", "A1", "--goal", "lots"], "--goal"),
        (["--store", "A1", "--to", "2026-07-01"], "--to"),
        (["--store", "A1", "--points", "-5"], "--points"),
    ],
)
def test_a_bad_challenge_is_refused_naming_the_option(app, world, runner, args, named):
    base = {"--kpi": "csat", "--goal": "90", "--from": "2026-08-01", "--to": "2026-08-10", "--points": "10"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    merged = [item for key, value in (base | given).items() for item in (key, value)]
    result = create(runner, *merged)
    assert result.exit_code != 0
    assert named in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Challenge)) == 0


def test_concurrent_settlements_pay_the_team_once(app, world, runner, add_responses, frozen_time, concurrently):
    from app.recognition.challenges import settle

    frozen_time(datetime(2026, 8, 20, 10, tzinfo=UTC))
    create(runner, "--store", "A1", "--kpi", "csat", "--goal", "90", "--from", "2026-08-01", "--to", "2026-08-10",
           "--points", "100")  # fmt: skip
    add_responses(world["north"], "2026-08-05T10:00:00+00:00", csat=[5] * 30)

    def attempt() -> str:
        result = settle()
        db.session.commit()
        return f"{len(result.met)}"

    outcomes = concurrently(*(attempt for _ in range(4)))
    assert sorted(outcomes) == ["0", "0", "0", "1"]
    assert earned(world["employee"].id) == 100


# --- pages ----------------------------------------------------------------------------------------------------------


def test_hr_adds_a_rule_on_its_page_and_switches_it_off(app, world, client_as, post, text):
    hr = client_as("hr")
    response = post(hr, "/recognition/rules", {"event": "promoter_named", "points": "25", "cap_per_month": "100"})
    assert response.status_code == 302, text(response)
    [rule] = rules.all_rules()
    assert (rule.event, rule.points, rule.cap_per_month, rule.active) == ("promoter_named", 25, 100, True)
    assert "Named by a promoter" in text(hr.get("/recognition/rules"))
    assert post(hr, f"/recognition/rules/{rule.id}/switch").status_code == 302
    db.session.refresh(rule)
    assert rule.active is False


def test_a_bad_rule_on_the_page_is_a_400_naming_the_problem_and_nothing_is_saved(app, world, client_as, post, text):
    hr = client_as("hr")
    response = post(hr, "/recognition/rules", {"event": "store_kpi", "points": "25", "kpi": "csat", "threshold": "x"})
    assert response.status_code == 400
    assert "threshold" in text(response) and "is not a number" in text(response)
    assert rules.all_rules() == []


def test_hr_creates_a_challenge_and_the_team_sees_its_progress_bar_in_french(
    app, world, client_as, post, text, add_responses, frozen_time
):
    frozen_time(datetime(2026, 8, 8, 10, tzinfo=UTC))
    hr = client_as("hr")
    response = post(
        hr,
        "/recognition/challenges",
        {
            "team": "store:A1",
            "kpi": "csat",
            "goal": "90",
            "min_answers": "30",
            "starts_on": "2026-08-01",
            "ends_on": "2026-08-14",
            "points": "40",
        },  # fmt: skip
    )
    assert response.status_code == 302, text(response)
    add_responses(world["north"], "2026-08-05T10:00:00+00:00", csat=[5] * 15)
    world["employee"].language = "fr"
    db.session.commit()
    employee = client_as("employee")
    page = text(employee.get("/recognition/"))
    assert 'data-test="team-challenges"' in page
    assert 'value="100"' in page  # CSAT 100 % so far: the bar is full, but only 15 of the 30 answers are in
    assert "15 réponses sur 30" in page and "7 jours restants" in page
    stranger_page = text(client_as("manager").get(f"/recognition/feed?store={world['north'].id}"))
    assert 'data-test="team-challenges"' in stranger_page


def test_a_bad_challenge_on_the_page_is_a_400_and_nothing_is_saved(app, world, client_as, post, text):
    hr = client_as("hr")
    response = post(
        hr,
        "/recognition/challenges",
        {
            "team": "store:A1",
            "kpi": "csat",
            "goal": "90",
            "min_answers": "30",
            "starts_on": "2026-08-10",
            "ends_on": "2026-08-01",
            "points": "40",
        },  # fmt: skip
    )
    assert response.status_code == 400
    assert "ends before it starts" in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Challenge)) == 0


def test_the_company_budget_for_automatic_points_stops_the_rules_once_spent(
    app, world, runner, make_employee, add_answer, set_settings
):
    set_settings(automatic_points_per_month=30)
    add_rule(runner, "--event", "promoter_named", "--points", "20")
    colleague = make_employee(world["north"])
    third = make_employee(world["north"])
    for person in (world["employee"], colleague, third):
        add_answer(world["north"], employee=person)
    rules.apply(clock.today())
    db.session.commit()
    assert [earned(p.id) for p in (world["employee"], colleague, third)] == [20, 10, 0]


def test_concurrent_events_for_different_employees_never_spend_past_the_company_budget(
    app, world, runner, make_employee, set_settings, concurrently
):
    set_settings(automatic_points_per_month=50)
    add_rule(runner, "--event", "objectives_acknowledged", "--points", "20")
    people = [make_employee(world["north"]).id for _ in range(6)]
    today = clock.today()

    def acknowledge(employee_id: int):
        def attempt() -> str:
            paid = rules.on_objectives_acknowledged(employee_id, employee_id, today)
            db.session.commit()
            return str(paid)

        return attempt

    outcomes = concurrently(*(acknowledge(i) for i in people))
    assert sorted(outcomes) == ["0", "0", "0", "10", "20", "20"]
    assert sum(earned(i) for i in people) == 50
