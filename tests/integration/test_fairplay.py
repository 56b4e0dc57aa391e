"""Engagement figures and invitations (imports, rates, dashboards, KPIs for schemes) and anomaly flags (computed when
responses arrive by file or webhook, listed, excluded in bulk by HR, warned about on a run's review page)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.core import clock
from app.extensions import db
from app.feedback import engagement, flags, ingest, other_kpis, sources
from app.feedback.models import EngagementFigure, PeriodLock, ResponseFlag, SurveyInvitations, SurveyResponse
from app.feedback.webhook import signature
from app.periods import Period
from tests.conftest import MID_QUARTER, csrf_token, login

ENGAGEMENT = "store_code,period,headcount,leavers,absence_days,worked_days\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def survey_file(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "surveys.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ingest.ALL_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in ingest.ALL_COLUMNS})
    return path


def burst_rows(store: str, count: int, start: datetime, prefix: str = "b", nps: str = "10") -> list[dict[str, str]]:
    return [
        {
            "external_id": f"{prefix}-{i}",
            "store_code": store,
            "answered_at": (start + timedelta(seconds=40 * i)).isoformat(),
            "channel": "email",
            "nps": nps,
            "contact_consent": "false",
        }
        for i in range(count)
    ]


def spread_rows(store: str, count: int, prefix: str = "s") -> list[dict[str, str]]:
    return [
        {
            "external_id": f"{prefix}-{i}",
            "store_code": store,
            "answered_at": datetime(2026, 7, 1 + i % 28, 9 + i % 8, tzinfo=UTC).isoformat(),
            "channel": "email",
            "nps": str(i % 11),
            "comment": "Rien à signaler",
            "contact_consent": "false",
        }
        for i in range(count)
    ]


# --- engagement figures -------------------------------------------------------------------------------------


def test_engagement_import_is_all_or_nothing_and_idempotent(world, runner, tmp_path):
    good = write(tmp_path, "good.csv", ENGAGEMENT + "A1,2026-07,14.5,1,12,310\nB1,2026-07,10,0,0,220\n")
    first = runner.invoke(args=["engagement", "import", str(good)])
    assert first.exit_code == 0, first.output
    assert "2 new, 0 changed, 0 unchanged" in first.output
    again = runner.invoke(args=["engagement", "import", str(good)])
    assert "0 new, 0 changed, 2 unchanged" in again.output
    bad = write(tmp_path, "bad.csv", ENGAGEMENT + "A1,2026-08,14,1,3,300\nZZ,2026-08,10,1.5,-2,200\n")
    refused = runner.invoke(args=["engagement", "import", str(bad)])
    assert refused.exit_code == 1
    assert "row 3, store_code: unknown store 'ZZ'" in refused.output
    assert "row 3, leavers: 1.5 is not a whole number" in refused.output
    assert "row 3, absence_days: -2 is negative" in refused.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EngagementFigure)) == 2


def test_engagement_import_reads_xlsx_and_names_a_missing_column(world, runner, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["store_code", "period", "headcount", "leavers", "absence_days", "worked_days"])
    sheet.append(["A1", "2026-Q3", 12, 3, 30, 900])
    path = tmp_path / "figures.xlsx"
    book.save(path)
    assert runner.invoke(args=["engagement", "import", str(path)]).exit_code == 0
    figure = db.session.scalar(sa.select(EngagementFigure))
    assert (figure.period, figure.headcount, figure.leavers) == ("2026-Q3", Decimal(12), 3)
    missing = runner.invoke(
        args=["engagement", "import", str(write(tmp_path, "m.csv", "store_code,period\nA1,2026-07\n"))]
    )
    assert missing.exit_code == 1 and "headcount" in missing.output


def test_turnover_and_absenteeism_pool_the_months_of_a_quarter_and_lower_is_better(world, runner, tmp_path):
    rows = "A1,2026-07,10,1,10,200\nA1,2026-08,12,2,20,200\nA1,2026-09,14,0,30,200\n"
    assert runner.invoke(args=["engagement", "import", str(write(tmp_path, "q.csv", ENGAGEMENT + rows))]).exit_code == 0
    north = world["north"]
    # 3 leavers over an average headcount of 12 → 25 %; 60 absence days of 600 → 10 %.
    assert other_kpis.value_for("turnover", north, "2026-Q3") == Decimal("25.00")
    assert other_kpis.value_for("absenteeism", north, "2026-Q3") == Decimal("10.00")
    assert other_kpis.value_for("turnover", north, "2026-07") == Decimal("10.00")
    assert other_kpis.BUILTIN["turnover"].direction == "lower"
    from app.incentives.scheme_format import BUILTIN_KPIS

    assert BUILTIN_KPIS["turnover"] == "lower" and BUILTIN_KPIS["absenteeism"] == "lower"


def test_hr_imports_figures_from_the_page_and_downloads_the_template(world, client_as):
    hr = client_as("hr")
    template = hr.get("/engagement/import/engagement/template.csv")
    assert template.status_code == 200
    assert template.get_data(as_text=True).splitlines()[0].lstrip("\ufeff").replace(";", ",") == ENGAGEMENT.strip()
    token = csrf_token(hr, "/engagement/import/invitations")
    bad = hr.post(
        "/engagement/import/invitations",
        data={"csrf_token": token, "file": (io.BytesIO(b"store_code,period,invitations\nA1,2026-13,10\n"), "i.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "period" in bad.get_data(as_text=True)
    good = hr.post(
        "/engagement/import/invitations",
        data={"csrf_token": token, "file": (io.BytesIO(b"store_code,period,invitations\nA1,2026-07,40\n"), "i.csv")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    assert db.session.scalar(sa.select(SurveyInvitations.invitations)) == 40


def test_response_rate_and_engagement_show_on_the_store_dashboard(world, runner, tmp_path, client_as, add_responses):
    north = world["north"]
    add_responses(north, "2026-07-10T10:00:00+00:00", nps=[9] * 10)
    invitations = write(tmp_path, "i.csv", "store_code,period,invitations\nA1,2026-07,40\n")
    assert runner.invoke(args=["invitations", "import", str(invitations)]).exit_code == 0
    figures = write(tmp_path, "e.csv", ENGAGEMENT + "A1,2026-07,10,1,5,200\n")
    assert runner.invoke(args=["engagement", "import", str(figures)]).exit_code == 0
    assert engagement.response_rates(Period.parse("2026-07"))[north.id].value == Decimal("25.00")
    html = client_as("manager").get(f"/dashboard/store/{north.id}?period=2026-07").get_data(as_text=True)
    assert 'data-kpi="response_rate"' in html and "10 responses of 40 invitations" in html
    assert 'data-kpi="turnover"' in html and 'data-kpi="absenteeism"' in html
    other = client_as("hr").get(f"/dashboard/store/{world['south'].id}?period=2026-07").get_data(as_text=True)
    assert 'data-kpi="response_rate"' not in other


def test_the_dashboard_reads_a_period_and_the_one_before_together_as_each_alone(world, runner, tmp_path, add_responses):
    north, south = world["north"], world["south"]
    add_responses(north, "2026-06-10T10:00:00+00:00", nps=[9] * 6)
    add_responses(north, "2026-07-10T10:00:00+00:00", nps=[9] * 10)
    add_responses(south, "2026-07-12T10:00:00+00:00", nps=[7] * 3)
    invitations = "store_code,period,invitations\nA1,2026-06,30\nA1,2026-07,40\nB1,2026-07,12\nA1,2026-Q3,99\n"
    assert runner.invoke(args=["invitations", "import", str(write(tmp_path, "i.csv", invitations))]).exit_code == 0
    rows = "A1,2026-06,8,1,4,160\nA1,2026-07,10,1,5,200\nB1,2026-07,6,0,2,120\nB1,2026-08,6,1,3,120\n"
    assert runner.invoke(args=["engagement", "import", str(write(tmp_path, "e.csv", ENGAGEMENT + rows))]).exit_code == 0
    for periods in (["2026-06", "2026-07"], ["2026-Q2", "2026-Q3"], ["2026-07", "2026-Q3", "2026-08"]):
        asked = [Period.parse(p) for p in periods]
        for stores in (None, [north.id], [south.id], []):
            rates = engagement.pooled_response_rates(asked, stores)
            figures = engagement.pooled_engagements(asked, stores)
            for i, period in enumerate(asked):
                alone = engagement.response_rates(period, stores)
                pooled = (
                    engagement.ResponseRate(
                        sum(r.responses for r in alone.values()), sum(r.invitations for r in alone.values())
                    )
                    if alone
                    else None
                )
                assert rates[i] == pooled, (periods, stores, period)
                by_store = engagement.engagement_by_store(period, stores)
                assert figures[i] == (sum(by_store.values(), engagement.Engagement()) if by_store else None)
    # The quarter's own row wins over its months; July alone counts July's responses only.
    july, q3 = engagement.pooled_response_rates([Period.parse("2026-07"), Period.parse("2026-Q3")], [north.id])
    assert (july.responses, july.invitations, q3.responses, q3.invitations) == (10, 40, 10, 99)


# --- flags when responses arrive -----------------------------------------------------------------------------


def flags_json(runner, period: str = "2026-07") -> list[dict]:
    result = runner.invoke(args=["feedback", "flags", "--period", period, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_an_imported_burst_is_flagged_once_with_its_evidence_and_the_cli_lists_it(world, runner, tmp_path):
    rows = burst_rows("A1", 9, datetime(2026, 7, 14, 16, 0, tzinfo=UTC)) + spread_rows("A1", 20)
    path = survey_file(tmp_path, rows)
    assert runner.invoke(args=["surveys", "import", str(path)]).exit_code == 0
    listed = flags_json(runner)
    bursts = [f for f in listed if f["rule"] == "burst"]
    assert len(bursts) == 1
    burst = bursts[0]
    assert set(burst) == {"rule", "store", "response_ids", "evidence"}
    assert burst["store"] == "A1" and len(burst["response_ids"]) == 9
    assert burst["evidence"]["answers"] == 9 and burst["evidence"]["month"] == "2026-07"
    burst_ids = set(db.session.scalars(sa.select(SurveyResponse.id).where(SurveyResponse.external_id.like("b-%"))))
    assert set(burst["response_ids"]) == burst_ids
    # The same file again skips every row and recomputes nothing new: still one flag.
    assert runner.invoke(args=["surveys", "import", str(path)]).exit_code == 0
    assert len([f for f in flags_json(runner) if f["rule"] == "burst"]) == 1
    assert runner.invoke(args=["feedback", "flags", "--period", "2026-07", "--recompute", "--json"]).exit_code == 0
    assert len([f for f in flags_json(runner) if f["rule"] == "burst"]) == 1


def test_answers_spread_out_raise_no_flag(world, runner, tmp_path):
    assert runner.invoke(args=["surveys", "import", str(survey_file(tmp_path, spread_rows("A1", 30)))]).exit_code == 0
    assert flags_json(runner) == []


def test_the_same_contact_answering_three_times_is_flagged(world, runner, tmp_path):
    rows = [
        {
            "external_id": f"c-{i}",
            "store_code": "B1",
            "answered_at": f"2026-07-{3 + 5 * i:02d}T10:00:00+00:00",
            "nps": "10",
            "comment": "Top",
            "contact_consent": "true",
            "customer_name": "Léa",
            "customer_contact": "Lea.M@Example.net " if i else "lea.m@example.net",
        }
        for i in range(3)
    ]
    assert runner.invoke(args=["surveys", "import", str(survey_file(tmp_path, rows))]).exit_code == 0
    [flag] = flags_json(runner)
    assert flag["rule"] == "same_contact" and flag["store"] == "B1" and len(flag["response_ids"]) == 3
    assert "example.net" not in json.dumps(flag)


def test_score_begging_comments_are_flagged_with_the_phrase_hr_can_edit(world, runner, tmp_path, client_as):
    rows = [
        {"external_id": "p-1", "store_code": "A1", "answered_at": "2026-07-05T10:00:00+00:00", "nps": "10",
         "comment": "Le vendeur m'a demandé de mettre 10 pour sa prime", "contact_consent": "false"},
        {"external_id": "p-2", "store_code": "A1", "answered_at": "2026-07-06T10:00:00+00:00", "nps": "10",
         "comment": "On m'a offert un café pour noter", "contact_consent": "false"},
    ]  # fmt: skip
    assert runner.invoke(args=["surveys", "import", str(survey_file(tmp_path, rows))]).exit_code == 0
    [flag] = flags_json(runner)
    assert flag["rule"] == "score_begging" and len(flag["response_ids"]) == 1
    hr = client_as("hr")
    saved = hr.post(
        "/feedback/flags/phrases",
        data={"csrf_token": csrf_token(hr, "/feedback/flags/phrases"), "fr": "offert un café\n", "en": ""},
    )
    assert saved.status_code == 302
    assert flags.phrases()["fr"] == ["offert un café"]
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "flags.phrases")) is not None
    runner.invoke(args=["feedback", "flags", "--period", "2026-07", "--recompute"])
    [flag] = flags_json(runner)
    assert flag["evidence"]["matches"][str(flag["response_ids"][0])]["phrase"] == "offert un café"


def test_silent_tens_far_above_the_stores_past_are_flagged(world, runner, tmp_path, add_responses):
    north = world["north"]
    for month in range(1, 7):  # a usual month: 20 answers with comments, 2 silent 10s
        ids = add_responses(north, f"2026-{month:02d}-10T10:00:00+00:00", nps=[8] * 18 + [10] * 2)
        db.session.execute(
            sa.update(SurveyResponse).where(SurveyResponse.id.in_(ids), SurveyResponse.nps == 8).values(comment="Bien")
        )
    db.session.commit()
    rows = [
        {"external_id": f"t-{i}", "store_code": "A1", "answered_at": f"2026-07-{1 + i:02d}T1{i % 10}:00:00+00:00",
         "nps": "10" if i < 14 else "8", "comment": "" if i < 14 else "Correct", "contact_consent": "false"}
        for i in range(20)
    ]  # fmt: skip
    assert runner.invoke(args=["surveys", "import", str(survey_file(tmp_path, rows))]).exit_code == 0
    [flag] = flags_json(runner)
    assert flag["rule"] == "silent_tens" and len(flag["response_ids"]) == 14
    assert flag["evidence"]["share"] == "70.0" and flag["evidence"]["usual_share"] == "10.0"


@pytest.fixture
def source(app, world):
    created = sources.create_source("shop-app", "generic")
    db.session.commit()
    return created


def send(client, source, payload: dict) -> int:
    body = json.dumps(payload).encode()
    headers = {"X-Primo-Signature": signature("generic", source.secret, body)}
    return client.post(f"/api/feedback/{source.name}", data=body, headers=headers, content_type="application/json")


def test_webhook_answers_from_one_device_are_flagged_without_storing_the_address(app, world, source):
    client = app.test_client()
    for i in range(3):
        payload = {
            "external_id": f"w-{i}",
            "store_code": "A1",
            "answered_at": f"2026-07-{2 + 7 * i:02d}T10:00:00Z",
            "nps": 10,
            "comment": "Top",
            "metadata": {"ip": "203.0.113.7", "user_agent": "Phone"},
        }
        assert send(client, source, payload).status_code == 201
    [flag] = flags.flags_for(Period.parse("2026-07"))
    assert flag.rule == "same_device" and len(flag.response_ids) == 3
    stored = json.dumps([row.fingerprint for row in db.session.scalars(sa.select(flags.ResponseFingerprint))])
    assert "203.0.113.7" not in stored


def test_webhook_answers_in_a_burst_are_flagged(app, world, source):
    client = app.test_client()
    for i in range(8):
        payload = {"external_id": f"x-{i}", "store_code": "A1", "answered_at": f"2026-07-02T10:0{i}:00Z", "nps": 10}
        assert send(client, source, payload).status_code == 201
    [flag] = flags.flags_for(Period.parse("2026-07"))
    assert flag.rule == "burst" and len(flag.response_ids) == 8


# --- who sees flags, and bulk exclusion ----------------------------------------------------------------------


@pytest.fixture
def flagged(world, runner, tmp_path) -> dict:
    rows = burst_rows("A1", 9, datetime(2026, 7, 14, 16, 0, tzinfo=UTC))
    rows += burst_rows("B1", 9, datetime(2026, 7, 15, 16, 0, tzinfo=UTC), prefix="sb")
    assert runner.invoke(args=["surveys", "import", str(survey_file(tmp_path, rows))]).exit_code == 0
    by_store = {f.store.code: f for f in flags.flags_for(Period.parse("2026-07"))}
    return {"north": by_store["A1"], "south": by_store["B1"]}


def test_a_manager_sees_the_flags_of_their_stores_only(flagged, client_as, world):
    html = client_as("manager").get("/feedback/flags?period=2026-07").get_data(as_text=True)
    assert f'data-flag="{flagged["north"].id}"' in html
    assert f'data-flag="{flagged["south"].id}"' not in html
    assert 'data-test="exclude-flagged"' not in html  # managers read; HR decides
    hr = client_as("hr").get("/feedback/flags?period=2026-07").get_data(as_text=True)
    assert f'data-flag="{flagged["south"].id}"' in hr and 'data-test="exclude-flagged"' in hr


def excluded_ids() -> set[int]:
    return set(db.session.scalars(sa.select(SurveyResponse.id).where(SurveyResponse.excluded.is_(True))))


def test_hr_excludes_flagged_responses_in_bulk_with_a_reason_each_audited(flagged, client_as):
    hr = client_as("hr")
    token = csrf_token(hr, "/feedback/flags?period=2026-07")
    no_reason = hr.post(
        "/feedback/flags/exclude?period=2026-07", data={"csrf_token": token, "flags": [flagged["north"].id]}
    )
    assert no_reason.status_code == 400 and excluded_ids() == set()
    done = hr.post(
        "/feedback/flags/exclude?period=2026-07",
        data={"csrf_token": token, "flags": [flagged["north"].id], "reason": "score_begging", "details": "burst"},
    )
    assert done.status_code == 302
    assert excluded_ids() == set(flagged["north"].response_ids)
    reasons = set(db.session.scalars(sa.select(SurveyResponse.excluded_reason).where(SurveyResponse.excluded)))
    assert reasons == {"score_begging: burst"}
    audits = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "response.exclude")
    )
    assert audits == 9
    # The flag stays listed, with nothing of it still counted.
    html = hr.get("/feedback/flags?period=2026-07").get_data(as_text=True)
    assert 'data-counted="0"' in html


def test_bulk_exclusion_is_refused_whole_once_the_month_is_paid(flagged, client_as):
    db.session.add(PeriodLock(month=202607, holder="run:9", paid=True))
    db.session.commit()
    hr = client_as("hr")
    refused = hr.post(
        "/feedback/flags/exclude?period=2026-07",
        data={
            "csrf_token": csrf_token(hr, "/feedback/flags?period=2026-07"),
            "flags": [flagged["north"].id, flagged["south"].id],
            "reason": "score_begging",
        },
    )
    assert refused.status_code == 409
    assert "2026-07 is already paid" in refused.get_data(as_text=True)
    assert excluded_ids() == set()


def test_a_manager_cannot_exclude_flagged_responses(flagged, client_as):
    manager = client_as("manager")
    answer = manager.post(
        "/feedback/flags/exclude?period=2026-07",
        data={"csrf_token": csrf_token(manager, "/"), "flags": [flagged["north"].id], "reason": "test"},
    )
    assert answer.status_code == 403 and excluded_ids() == set()


# --- the run's review page -----------------------------------------------------------------------------------


def burst_into(store, count: int) -> None:
    moment = datetime(2026, 7, 20, 15, 0, tzinfo=UTC)
    rows = [
        {
            "source": "test",
            "external_id": f"burst-{i}",
            "store_id": store.id,
            "answered_at": moment + timedelta(seconds=30 * i),
            "local_date": moment.date(),
            "local_month": 202607,
            "channel": "email",
            "nps": 10,
            "contact_consent": False,
            "excluded": False,
        }
        for i in range(count)
    ]
    db.session.execute(sa.insert(SurveyResponse), rows)
    flags.recompute([(store.id, 202607)])
    db.session.commit()


def run_page(app, run_id: int) -> str:
    client = app.test_client()
    login(client, "hr1@test.example")
    return client.get(f"/runs/{run_id}").get_data(as_text=True)


@pytest.fixture
def quiet_worked_example(app, build_worked_example, monkeypatch):
    """The worked example, whose test answers come a dozen at a time at 10:00: only larger bursts count here."""
    monkeypatch.setitem(app.config, "PRIMO_FLAG_BURST_COUNT", 12)
    return build_worked_example()


def test_the_run_page_warns_when_excluding_flagged_responses_would_cross_a_threshold(
    app, quiet_worked_example, make_run
):
    worked = quiet_worked_example
    # 40 perfect scores in a few minutes lift S1's NPS from 35.0 to 51.3, past the 50 threshold of the scheme.
    burst_into(worked.store, 40)
    run = make_run("draft")
    html = run_page(app, run.id)
    assert 'data-test="flag-warning" data-store="S1"' in html
    assert "35.0" in html and "51" in html


def test_the_run_page_says_nothing_when_flagged_responses_cross_no_threshold(app, quiet_worked_example, make_run):
    worked = quiet_worked_example
    burst_into(worked.store, 12)  # NPS 35.0 → 40.9: a better payout, but no threshold between them
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponseFlag)) == 1
    run = make_run("draft")
    assert 'data-test="flag-warning"' not in run_page(app, run.id)


def test_the_demo_company_has_a_flagged_burst_and_engagement_figures(seed_demo, app, runner, frozen_time):
    frozen_time(MID_QUARTER)
    assert seed_demo().exit_code == 0
    month = Period.containing(clock.today() - timedelta(days=1), "month")
    listed = flags_json(runner, str(month))
    bursts = [f for f in listed if f["rule"] == "burst" and f["store"] == "S01"]
    assert bursts and bursts[0]["evidence"]["answers"] >= 12
    assert any(f["rule"] == "score_begging" for f in listed)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EngagementFigure)) == 12 * 12
    assert engagement.response_rates(month.shifted(-1))


# --- the response rate on statements -------------------------------------------------------------------------


def test_statements_print_the_response_rate_stored_with_the_run(app, paid_world, runner, make_run, tmp_path, pdf_text):
    from openpyxl import load_workbook

    from app.reports.statements import documents

    invitations = "store_code,period,invitations\nS1,2026-07,100\nS1,2026-08,100\nS1,2026-09,100\n"
    assert runner.invoke(args=["invitations", "import", str(write(tmp_path, "i.csv", invitations))]).exit_code == 0
    run = make_run("submitted")
    # Invitations changed after the run do not change its statements: they print what the run stored.
    changed = "store_code,period,invitations\nS1,2026-07,1000\n"
    assert runner.invoke(args=["invitations", "import", str(write(tmp_path, "j.csv", changed))]).exit_code == 0
    hired = paid_world["hired"]  # reads English
    client = app.test_client()
    login(client, "hr1@test.example")
    page = client.get(f"/runs/{run.id}/statement/{hired.id}").get_data(as_text=True)
    # 120 NPS answers of 300 invitations; 80 CSAT answers of the same 300.
    assert "Response rate: 40.0\u00a0% (300 invited)" in page
    assert "Response rate: 26.7\u00a0% (300 invited)" in page
    pdf = " ".join(pdf_text(documents.obtain(run, hired, "pdf").content).split())
    assert "Response rate: 40.0" in pdf.replace("\u00a0", " ")
    sheet = load_workbook(io.BytesIO(documents.obtain(run, hired, "xlsx").content)).active
    header = next(row for row in sheet.iter_rows() if row[0].value == "KPI")
    column = [c.value for c in header].index("Response rate")
    nps = next(row for row in sheet.iter_rows() if row[0].value == "NPS")
    assert Decimal(str(nps[column].value)) == Decimal("0.4") and nps[column].number_format == "0.00%"


def test_undoing_an_import_drops_the_flags_of_its_responses(world, runner, tmp_path):
    rows = burst_rows("A1", 9, datetime(2026, 7, 14, 16, 0, tzinfo=UTC))
    done = runner.invoke(args=["surveys", "import", str(survey_file(tmp_path, rows))])
    assert done.exit_code == 0 and len(flags_json(runner)) == 1
    batch = done.output.split()[1].rstrip(":")
    assert runner.invoke(args=["surveys", "undo", batch]).exit_code == 0
    assert flags_json(runner) == []


def test_a_burst_across_two_ten_minute_marks_is_still_found(world, runner, tmp_path):
    rows = [
        {
            "external_id": f"edge-{i}",
            "store_code": "A1",
            "answered_at": (datetime(2026, 7, 14, 16, 6, tzinfo=UTC) + timedelta(seconds=70 * i)).isoformat(),
            "nps": "10",
            "contact_consent": "false",
        }
        for i in range(8)
    ]  # 16:06 to 16:14:10: four answers on each side of 16:10
    assert runner.invoke(args=["surveys", "import", str(survey_file(tmp_path, rows))]).exit_code == 0
    [flag] = flags_json(runner)
    assert flag["rule"] == "burst" and len(flag["response_ids"]) == 8
