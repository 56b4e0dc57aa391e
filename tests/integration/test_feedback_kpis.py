"""Survey KPIs aggregated by the database, `flask kpis show|define|import`, other KPIs, `followup_48h`, demo data."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.feedback import aggregate, other_kpis
from app.feedback.aggregate import Scope
from app.feedback.models import FollowUpCase, ImportBatch, KpiDefinition, KpiValue, SurveyResponse
from app.org.models import Store
from app.periods import Period
from tests.conftest import MID_QUARTER

Q3 = Period.parse("2026-Q3")


# --- aggregation -------------------------------------------------------------------------------------------


def test_worked_example_through_the_database(app, make_store, add_worked_answers):
    store = make_store("S1")
    add_worked_answers(store)
    summary = aggregate.kpis(Scope.store(store.id), Q3)
    assert (summary.nps.promoters, summary.nps.passives, summary.nps.detractors) == (66, 30, 24)
    assert (summary.nps.nps, summary.nps.moe) == (Decimal("35.0"), Decimal("14.2"))
    assert (summary.csat.n, summary.csat.csat) == (80, Decimal("86.25"))
    assert (summary.ces.n, summary.ces.mean) == (4, Decimal("5.00"))


def test_kpis_show_json_gives_the_worked_example(app, runner, make_store, add_worked_answers):
    add_worked_answers(make_store("S1"))
    result = runner.invoke(args=["kpis", "show", "--store", "S1", "--period", "2026-Q3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["scope"] == "store" and data["store"] == "S1" and data["period"] == "2026-Q3"
    assert (data["nps"], data["nps_n"], data["nps_moe"]) == (35.0, 120, 14.2)
    assert (data["promoters"], data["passives"], data["detractors"]) == (66, 30, 24)
    assert (data["csat"], data["csat_n"], data["csat_moe"]) == (86.25, 80, 7.55)
    assert (data["ces"], data["ces_n"]) == (5.0, 4)
    assert data["followup_48h"] is None and data["followup_n"] == 0


def test_kpis_show_prints_a_table_and_nulls_for_absent_kpis(app, runner, make_store, add_responses):
    store = make_store("S1")
    add_responses(store, nps=[10, 9, 2])
    result = runner.invoke(args=["kpis", "show", "--store", "S1", "--period", "2026-08"])
    assert result.exit_code == 0, result.output
    assert "NPS" in result.output and "33.3" in result.output
    data = json.loads(runner.invoke(args=["kpis", "show", "--store", "S1", "--period", "2026-08", "--json"]).output)
    assert data["csat"] is None and data["csat_n"] == 0 and data["csat_moe"] is None
    assert data["ces"] is None and data["ces_moe"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--store", "NOPE", "--period", "2026-Q3"], "unknown store"),
        (["--region", "Atlantis", "--period", "2026-Q3"], "unknown region"),
        (["--store", "S1", "--period", "2026-Q5"], "--period"),
        (["--period", "2026-Q3"], "exactly one"),
        (["--store", "S1", "--company", "--period", "2026"], "exactly one"),
    ],
)
def test_kpis_show_refuses_bad_input(app, runner, make_store, args, message):
    make_store("S1")
    result = runner.invoke(args=["kpis", "show", *args])
    assert result.exit_code == 1
    assert message in result.stderr


def test_region_pools_responses_rather_than_averaging_store_scores(app, runner, make_store, add_responses):
    big = make_store("S1", region="North")
    small = make_store("S2", region="North")
    make_store("S3", region="South")
    add_responses(big, nps=[10] * 90 + [0] * 10)  # NPS 80 on 100 answers
    add_responses(small, nps=[0] * 10)  # NPS -100 on 10 answers
    add_responses(db.session.scalar(sa.select(Store).where(Store.code == "S3")), nps=[0] * 50)
    region = big.region
    pooled = aggregate.kpis(Scope.region(region.id), Q3).nps
    assert pooled.n == 110
    assert pooled.nps == Decimal("63.6")  # (90 − 20) / 110, not (80 − 100) / 2 = −10
    data = json.loads(runner.invoke(args=["kpis", "show", "--region", "North", "--period", "2026-Q3", "--json"]).output)
    assert data["scope"] == "region" and data["region"] == "North" and data["store"] is None
    assert data["nps"] == 63.6 and data["nps_n"] == 110
    company = json.loads(runner.invoke(args=["kpis", "show", "--company", "--period", "2026", "--json"]).output)
    assert company["scope"] == "company" and company["nps_n"] == 160
    assert company["nps"] == 12.5  # (90 − 70) / 160


def test_month_boundaries_follow_the_company_time_zone(app, make_store, add_responses):
    store = make_store("S1")
    # 22:30 UTC on 30 June is 00:30 on 1 July in Paris: the answer belongs to July and to Q3.
    add_responses(store, "2026-06-30T22:30:00+00:00", nps=[10])
    add_responses(store, "2026-06-30T21:30:00+00:00", nps=[0])  # 23:30 in Paris: still June
    scope = Scope.store(store.id)
    assert aggregate.kpis(scope, Period.parse("2026-07")).nps.promoters == 1
    assert aggregate.kpis(scope, Period.parse("2026-07")).nps.detractors == 0
    assert aggregate.kpis(scope, Period.parse("2026-06")).nps.detractors == 1
    assert aggregate.kpis(scope, Q3).nps.n == 1
    assert aggregate.kpis(scope, Period.parse("2026-Q2")).nps.n == 1
    assert aggregate.kpis(scope, Period.parse("2026")).nps.n == 2


def test_excluded_responses_are_not_counted(app, make_store, add_responses):
    store = make_store("S1")
    add_responses(store, nps=[10, 10], csat=[5, 5])
    add_responses(store, nps=[0] * 5, csat=[1] * 5, ces=[1] * 5, excluded=True)
    summary = aggregate.kpis(Scope.store(store.id), Q3)
    assert (summary.nps.n, summary.nps.nps, summary.csat.n, summary.ces.n) == (2, Decimal("100.0"), 2, 0)
    assert aggregate.nps_distribution(Scope.store(store.id), Q3) == [0] * 10 + [2]


def test_stores_in_one_query_and_series_fill_empty_periods(app, make_store, add_responses):
    a, b = make_store("S1"), make_store("S2")
    add_responses(a, "2026-01-10T10:00:00+00:00", nps=[10, 0])
    add_responses(a, "2026-03-10T10:00:00+00:00", nps=[10])
    add_responses(b, "2026-03-10T10:00:00+00:00", nps=[7, 8, 9])
    by_store = aggregate.kpis_by_store(Period.parse("2026-Q1"))
    assert by_store[a.id].nps.n == 3 and by_store[b.id].nps.nps == Decimal("33.3")
    assert aggregate.kpis_by_store(Period.parse("2026-Q1"), store_ids=[b.id]).keys() == {b.id}
    assert aggregate.kpis_by_store(Period.parse("2026-Q1"), store_ids=[]) == {}
    trend = aggregate.monthly_series(Scope.company(), Period.parse("2026-03"), 12)
    assert [str(p) for p, _s in trend][0] == "2025-04" and len(trend) == 12
    assert [s.nps.n for _p, s in trend][-3:] == [2, 0, 4]
    quarters = aggregate.series(Scope.store(a.id), Period.parse("2026-Q2"), 3)
    assert [(str(p), s.nps.n) for p, s in quarters] == [("2025-Q4", 0), ("2026-Q1", 3), ("2026-Q2", 0)]
    years = aggregate.series(Scope.company(), Period.parse("2026"), 2)
    assert [s.nps.n for _p, s in years] == [0, 6]
    per_month = aggregate.kpis_by_store_and_period("month", Period.parse("2026-01"), Period.parse("2026-03"))
    assert per_month[(a.id, Period.parse("2026-03"))].nps.n == 1 and (b.id, Period.parse("2026-01")) not in per_month


def test_nps_distribution_counts_each_score(app, make_store, add_responses):
    store = make_store("S1")
    add_responses(store, nps=[0, 6, 6, 7, 10, 10, 10], csat=[5])
    assert aggregate.nps_distribution(Scope.store(store.id), Q3) == [1, 0, 0, 0, 0, 0, 2, 1, 0, 0, 3]


# --- other KPIs --------------------------------------------------------------------------------------------


def test_define_creates_then_updates_a_kpi(app, runner):
    args = ["kpis", "define", "return_rate", "--name", "Return rate", "--unit", "%"]
    result = runner.invoke(args=[*args, "--direction", "lower", "--aggregate", "mean"])
    assert result.exit_code == 0, result.output
    assert "defined" in result.output
    result = runner.invoke(args=[*args, "--direction", "lower", "--aggregate", "sum"])
    assert "updated" in result.output
    kpi = db.session.scalar(sa.select(KpiDefinition))
    assert (kpi.code, kpi.direction, kpi.aggregate, kpi.unit) == ("return_rate", "lower", "sum", "%")
    refused = runner.invoke(
        args=["kpis", "define", "followup_48h", "--name", "x", "--direction", "higher"] + ["--aggregate", "mean"]
    )
    assert refused.exit_code == 1 and "computed" in refused.stderr
    bad = runner.invoke(
        args=["kpis", "define", "Bad Code", "--name", "x", "--direction", "higher", "--aggregate", "mean"]
    )
    assert bad.exit_code == 1 and "code" in bad.stderr


def _define(code: str, aggregate_rule: str) -> KpiDefinition:
    kpi, _created = other_kpis.define_kpi(code, code.title(), "", "higher", aggregate_rule)
    db.session.commit()
    return kpi


def test_import_is_all_or_nothing_and_names_rows_and_columns(app, runner, make_store, tmp_path):
    make_store("S1")
    _define("returns", "sum")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "kpi_code,store_code,period,value\n"
        "returns,S1,2026-07,4\n"
        "nope,S1,2026-07,1\n"
        "returns,S9,2026-13,abc\n"
        "returns,S1,2026-07,5\n"
        "followup_48h,S1,2026-07,5\n"
    )
    result = runner.invoke(args=["kpis", "import", str(bad)])
    assert result.exit_code == 1
    for expected in (
        "row 3, kpi_code: unknown KPI 'nope'",
        "row 4, store_code: unknown store 'S9'",
        "row 4, period",
        "row 4, value",
        "row 5, period: same KPI, store and period as row 2",
        "row 6, kpi_code: computed by Primo",
    ):
        assert expected in result.stderr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KpiValue)) == 0


def test_reimport_updates_values_idempotently(app, runner, make_store, tmp_path):
    make_store("S1")
    _define("returns", "sum")
    good = tmp_path / "good.csv"
    good.write_text(
        "kpi_code,store_code,period,value\nreturns,S1,2026-07,4\nreturns,S1,2026-q3,12.5\nreturns,S1,2026,40\n"
    )
    first = runner.invoke(args=["kpis", "import", str(good)])
    assert first.exit_code == 0, first.stderr
    assert "3 new" in first.output
    assert "3 unchanged" in runner.invoke(args=["kpis", "import", str(good)]).output
    good.write_text("kpi_code,store_code,period,value\nreturns,S1,2026-07,4.25\n")
    assert "1 changed" in runner.invoke(args=["kpis", "import", str(good)]).output
    labels = set(db.session.scalars(sa.select(KpiValue.period)))
    assert labels == {"2026-07", "2026-Q3", "2026"}
    assert db.session.scalar(sa.select(KpiValue.value).where(KpiValue.period == "2026-07")) == Decimal("4.25")


def test_value_for_combines_months_by_mean_sum_or_last(app, make_store):
    store = make_store("S1")
    mean, total, last = _define("rating", "mean"), _define("returns", "sum"), _define("headcount", "last")
    for kpi in (mean, total, last):
        other_kpis.set_value(kpi, store, Period.parse("2026-07"), Decimal("4.5"))
        other_kpis.set_value(kpi, store, Period.parse("2026-08"), Decimal("4"))
    other_kpis.set_value(mean, store, Period.parse("2026-10"), Decimal("3"))
    db.session.commit()
    assert other_kpis.value_for(mean, store, Q3) == Decimal("4.25")  # September missing: mean of the months present
    assert other_kpis.value_for(total, store, Q3) == Decimal("8.5")
    assert other_kpis.value_for(last, store, Q3) == Decimal("4")
    assert other_kpis.value_for("rating", store.id, "2026-07") == Decimal("4.5")
    assert other_kpis.value_for(mean, store, "2026-09") is None
    assert other_kpis.value_for(mean, store, "2026") == Decimal("3.8333")
    # A value stored for the quarter itself wins over its months.
    other_kpis.set_value(total, store, Q3, Decimal("10"))
    assert other_kpis.value_for(total, store, Q3) == Decimal("10")
    assert other_kpis.value_for(total, store, "2026") == Decimal("8.5")
    with pytest.raises(other_kpis.KpiError):
        other_kpis.value_for("unknown", store, Q3)


def test_values_by_store_give_in_one_query_what_value_for_gives_each_store(app, make_store):
    stores = [make_store(f"S{i}") for i in range(4)]
    mean, total = _define("rating", "mean"), _define("returns", "sum")
    for i, store in enumerate(stores[:3]):
        for kpi in (mean, total):
            other_kpis.set_value(kpi, store, Period.parse("2026-07"), Decimal(i + 1))
            if i:
                other_kpis.set_value(kpi, store, Period.parse("2026-08"), Decimal("0.5") * i)
    other_kpis.set_value(total, stores[2], Q3, Decimal("10"))  # the quarter's own value wins for this store
    other_kpis.set_value(total, stores[3], Period.parse("2026-Q1"), Decimal("7"))  # a year from quarters only
    db.session.commit()
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    for kpi, label in itertools.product((mean, total, "returns"), ("2026-07", "2026-09", "2026-Q3", "2026")):
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            found = other_kpis.values_by_store(kpi, label)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
        assert len(statements) <= 2, statements  # the values, and the definition when named by its code
        statements.clear()
        expected = {s.id: v for s in stores if (v := other_kpis.value_for(kpi, s, label)) is not None}
        assert found == expected, (kpi, label)
    assert other_kpis.values_by_store(total, Q3) == {
        stores[0].id: Decimal("1"),
        stores[1].id: Decimal("2.5"),
        stores[2].id: Decimal("10"),
    }
    assert other_kpis.values_by_store(total, "2026")[stores[3].id] == Decimal("7")
    assert other_kpis.values_by_store(mean, Q3, [stores[1].id, stores[3].id]) == {stores[1].id: Decimal("1.25")}


# --- followup_48h ------------------------------------------------------------------------------------------


def _case(response_id: int, store: Store, answered: datetime, **fields) -> None:
    db.session.add(
        FollowUpCase(
            response_id=response_id,
            store_id=store.id,
            due_at=answered + timedelta(hours=48),
            opened_at=answered,
            **fields,
        )
    )


def test_followup_48h_share_per_store_and_period(app, runner, make_store, add_responses):
    store, other = make_store("S1"), make_store("S2")
    answered = datetime(2026, 8, 3, 9, tzinfo=UTC)
    ids = add_responses(store, answered, nps=[0, 1, 2, 3, 4])
    _case(ids[0], store, answered, status="contacted", contacted_at=answered + timedelta(hours=5))
    _case(ids[1], store, answered, status="resolved", closed_at=answered + timedelta(hours=47))
    _case(ids[2], store, answered, status="resolved", contacted_at=answered + timedelta(hours=60))  # late
    _case(ids[3], store, answered, status="open")  # overdue, never handled
    [pending] = add_responses(store, datetime(2026, 9, 30, 9, tzinfo=UTC), nps=[0])
    _case(pending, store, datetime(2026, 9, 30, 9, tzinfo=UTC), status="open")  # still inside its 48 h
    [elsewhere] = add_responses(other, answered, nps=[0])
    _case(elsewhere, other, answered, status="contacted", contacted_at=answered + timedelta(hours=1))
    db.session.commit()
    now = datetime(2026, 10, 3, 12, tzinfo=UTC)  # the September case is overdue by then
    share = other_kpis.followup_share(Scope.store(store.id), Q3, now=datetime(2026, 9, 30, 12, tzinfo=UTC))
    assert (share.handled, share.n, share.value) == (2, 4, Decimal("50.00"))
    assert other_kpis.value_for("followup_48h", store, Q3, now=now) == Decimal("40.00")
    assert other_kpis.value_for("followup_48h", store, "2026-07", now=now) is None
    assert other_kpis.followup_share(Scope.company(), Q3, now=now).n == 6
    data = json.loads(runner.invoke(args=["kpis", "show", "--store", "S1", "--period", "2026-Q3", "--json"]).output)
    assert (data["followup_48h"], data["followup_n"]) == (40.0, 5)
    # Every store at once, in one grouped query, as store by store.
    assert other_kpis.values_by_store("followup_48h", Q3, now=now) == {store.id: Decimal("40.00"), other.id: 100}
    shares = other_kpis.followup_shares_by_store(Q3, [other.id], now=now)
    assert {k: (v.handled, v.n) for k, v in shares.items()} == {other.id: (1, 1)}
    # Several periods of one scope at once (a dashboard's card and its previous period), as period by period.
    months = [Period.parse(m) for m in ("2026-07", "2026-08", "2026-09")]
    assert other_kpis.followup_shares(Scope.store(store.id), months, now=now) == [
        other_kpis.followup_share(Scope.store(store.id), m, now=now) for m in months
    ]
    assert [(s.handled, s.n) for s in other_kpis.followup_shares(Scope.store(store.id), months, now=now)] == [
        (0, 0),
        (2, 4),
        (0, 1),
    ]


# --- demo data ---------------------------------------------------------------------------------------------


def test_demo_feedback_covers_24_months_with_small_stores_and_cases(seed_demo, app, frozen_time):
    from app.feedback.demo import seed_feedback

    frozen_time(MID_QUARTER)
    result = seed_demo()
    assert result.exit_code == 0, result.output
    today = clock.today()
    if db.session.scalar(sa.select(ImportBatch).where(ImportBatch.source == "demo")) is None:
        seed_feedback(random.Random(20260701), today)  # until `flask seed-demo` calls it itself
        db.session.commit()
    batch = db.session.scalar(sa.select(ImportBatch).where(ImportBatch.source == "demo"))
    assert batch is not None and batch.rows_inserted > 5000
    months = set(db.session.scalars(sa.select(SurveyResponse.local_month).distinct()))
    this_month = Period.containing(today, "month")
    assert len(months) == 24
    assert max(months) == this_month.year * 100 + this_month.index
    assert min(months) == aggregate.month_range(this_month.shifted(-23))[0]
    last_quarter = Period.containing(today, "quarter").previous()
    per_store = aggregate.tallies_by_store(last_quarter)
    assert len(per_store) == 12
    sizes = sorted(t.nps_n for t in per_store.values())
    assert sum(1 for n in sizes if n < 30) == 2 and sizes[-1] >= 60, sizes
    scores = [t.summary().nps.nps for t in per_store.values() if t.nps_n >= 30]
    assert all(Decimal(0) <= s <= Decimal(80) for s in scores), scores
    assert db.session.scalar(sa.select(sa.func.count()).where(SurveyResponse.employee_id.is_not(None))) > 0
    assert db.session.scalar(sa.select(sa.func.count()).where(SurveyResponse.comment.is_not(None))) > 100
    statuses = set(db.session.scalars(sa.select(FollowUpCase.status).distinct()))
    assert {"open", "resolved"} <= statuses
    overdue = db.session.scalar(
        sa.select(sa.func.count()).where(FollowUpCase.status == "open", FollowUpCase.due_at < datetime.now(UTC))
    )
    assert overdue > 0
