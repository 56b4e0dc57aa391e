"""Benchmark: store×month survey KPIs through app.feedback.aggregate against a bare SQL GROUP BY of the same counts.

Builds (or reuses) a large dataset straight into the real schema — 500 stores, 1 M responses by default, written
with executemany (SQLite) or COPY (PostgreSQL) — then times both paths a few times and prints the ratio
(goal: aggregate.py ≤ 2× the bare query).

    .venv/bin/python bench/bench_aggregate.py                                   # SQLite file in /tmp
    .venv/bin/python bench/bench_aggregate.py --database postgresql+psycopg://postgres@/bench?host=/tmp/pg
    .venv/bin/python bench/bench_aggregate.py --responses 100000 --rebuild
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.feedback import aggregate  # noqa: E402
from app.periods import Period  # noqa: E402

SOURCE = "bench"
LAST_MONTH = Period.parse("2026-11")
MONTHS = 24
CHUNK = 50_000
COLUMNS = (
    "source",
    "external_id",
    "store_id",
    "answered_at",
    "local_date",
    "local_month",
    "channel",
    "nps",
    "csat",
    "ces",
    "contact_consent",
    "excluded",
)

BARE_SQL = """
SELECT store_id, local_month,
       SUM(CASE WHEN nps >= 9 THEN 1 ELSE 0 END),
       SUM(CASE WHEN nps >= 7 AND nps <= 8 THEN 1 ELSE 0 END),
       SUM(CASE WHEN nps <= 6 THEN 1 ELSE 0 END),
       COUNT(csat), SUM(CASE WHEN csat >= 4 THEN 1 ELSE 0 END),
       COUNT(ces), SUM(ces), SUM(ces * ces)
FROM survey_responses
WHERE excluded = {false} AND local_month BETWEEN {low} AND {high}
GROUP BY store_id, local_month
"""


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="sqlite:////tmp/primo-bench-aggregate.sqlite", help="SQLAlchemy URL")
    parser.add_argument("--stores", type=int, default=500)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each path (best and median shown)")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the dataset even if it is there")
    return parser.parse_args()


def _reset_schema(url: str) -> None:
    """Start from an empty database: delete the SQLite file, or empty PostgreSQL's public schema."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def _present(responses: int, stores: int) -> bool:
    inspector = sa.inspect(db.engine)
    if not inspector.has_table("survey_responses"):
        return False
    found = db.session.scalar(sa.text("SELECT COUNT(*) FROM survey_responses WHERE source = :s"), {"s": SOURCE})
    store_count = db.session.scalar(sa.text("SELECT COUNT(*) FROM stores"))
    return found == responses and store_count == stores


def _rows(count: int, store_ids: list[int], seed: int = 1) -> Iterator[tuple[Any, ...]]:
    """Plausible responses spread over 24 months and the stores (some stores far busier than others)."""
    rng = random.Random(seed)
    tz = ZoneInfo("Europe/Paris")
    weights = [rng.choice((1, 2, 4, 8)) for _ in store_ids]
    stores = rng.choices(store_ids, weights=weights, k=count)
    months = [LAST_MONTH.shifted(-back) for back in range(MONTHS)]
    channels = ("email", "sms", "in_store", "web")
    for i, store_id in enumerate(stores):
        month = months[rng.randrange(MONTHS)]
        day = month.start + timedelta(days=rng.randrange(month.days))
        local = datetime(day.year, day.month, day.day, rng.randint(9, 19), rng.randrange(60), tzinfo=tz)
        nps = rng.choices(range(11), weights=(2, 1, 1, 2, 2, 4, 6, 10, 14, 20, 24))[0] if rng.random() < 0.95 else None
        csat = rng.randint(1, 5) if nps is None or rng.random() < 0.7 else None
        ces = rng.randint(1, 7) if rng.random() < 0.5 else None
        yield (
            SOURCE,
            f"b{i:08d}",
            store_id,
            local.astimezone(UTC),
            day,
            day.year * 100 + day.month,
            channels[i % 4],
            nps,
            csat,
            ces,
            False,
            rng.random() < 0.002,
        )


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _build(responses: int, stores: int) -> float:
    """Create regions, stores and responses with the driver's fastest bulk path; returns the seconds taken."""
    started = time.perf_counter()
    regions = max(1, stores // 50)
    db.session.execute(
        sa.text("INSERT INTO regions (name) VALUES (:name)"), [{"name": f"R{r:03d}"} for r in range(regions)]
    )
    region_ids = list(db.session.scalars(sa.text("SELECT id FROM regions ORDER BY id")))
    db.session.execute(
        sa.text("INSERT INTO stores (code, name, region_id, opened_on) VALUES (:code, :name, :region, :opened)"),
        [
            {"code": f"B{s:04d}", "name": f"Bench {s}", "region": region_ids[s % regions], "opened": date(2020, 1, 1)}
            for s in range(stores)
        ],
    )
    store_ids = list(db.session.scalars(sa.text("SELECT id FROM stores ORDER BY id")))
    db.session.commit()
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY survey_responses ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in _rows(responses, store_ids):
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO survey_responses ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            for chunk in _chunks(_rows(responses, store_ids), CHUNK):
                cursor.executemany(sql, [_sqlite_row(r) for r in chunk])
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # The forms SQLAlchemy itself writes on SQLite: naive UTC timestamps, ISO dates, 0/1 booleans.
    values = list(row)
    values[3] = values[3].replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    values[4] = values[4].isoformat()
    values[10] = int(values[10])
    values[11] = int(values[11])
    return tuple(values)


def _bare(low: int, high: int) -> int:
    """The same counts with a hand-written GROUP BY on the raw DB-API cursor, rows fetched, nothing computed."""
    false = "false" if db.engine.dialect.name == "postgresql" else "0"
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(BARE_SQL.format(false=false, low=low, high=high))
        return len(cursor.fetchall())
    finally:
        raw.close()


def _time(paths: list[Callable[[], int]], repeat: int) -> list[tuple[list[float], int]]:
    """Time each path `repeat` times, interleaved, so that a change in the machine's load hits them alike."""
    results: list[tuple[list[float], int]] = [([], 0) for _ in paths]
    for _ in range(repeat):
        for index, fn in enumerate(paths):
            db.session.remove()
            started = time.perf_counter()
            size = fn()
            results[index][0].append(time.perf_counter() - started)
            results[index] = (results[index][0], size)
    return results


def main() -> int:
    args = _arguments()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database, "SECRET_KEY": "bench", "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        dialect = db.engine.dialect.name
        if args.rebuild or not _present(args.responses, args.stores):
            db.session.remove()
            db.engine.dispose()
            _reset_schema(args.database)
            upgrade(directory=str(ROOT / "migrations"))
            print(f"building {args.responses:,} responses for {args.stores} stores on {dialect}…", flush=True)
            print(f"  built in {_build(args.responses, args.stores):.1f} s", flush=True)
        else:
            print(f"reusing {args.responses:,} responses for {args.stores} stores on {dialect}")
        first = LAST_MONTH.shifted(1 - MONTHS)
        low, high = aggregate.month_range(first, LAST_MONTH)

        def through_aggregate() -> int:
            return len(aggregate.kpis_by_store_and_period("month", first, LAST_MONTH))

        def tallies_only() -> int:
            return len(aggregate.tallies_by_store_and_period("month", first, LAST_MONTH))

        _bare(low, high)  # warm the cache once, for both paths alike
        (bare_times, bare_rows), (tally_times, tally_rows), (kpi_times, kpi_rows) = _time(
            [lambda: _bare(low, high), tallies_only, through_aggregate], args.repeat
        )
        assert bare_rows == tally_rows == kpi_rows, (bare_rows, tally_rows, kpi_rows)

    best_bare, best_tally, best_kpi = min(bare_times), min(tally_times), min(kpi_times)
    print(f"store×month groups: {bare_rows:,} ({args.stores} stores × {MONTHS} months), {args.repeat} runs each")
    for label, times in (
        ("bare SQL GROUP BY (DB-API, fetch only)", bare_times),
        ("aggregate.tallies_by_store_and_period", tally_times),
        ("aggregate.kpis_by_store_and_period (+NPS/CSAT/CES)", kpi_times),
    ):
        print(f"  {label:52} best {min(times):7.3f} s   median {statistics.median(times):7.3f} s")
    # Like for like: the same counts, grouped the same way, handed back as Python values.
    ratio = best_tally / best_bare
    verdict = "met" if ratio <= 2 else "MISSED"
    print(f"ratio aggregate.py / bare query (same counts): {ratio:.2f}×   goal ≤ 2×: {verdict}")
    print(f"with NPS/CSAT/CES and their margins computed for every store-month: {best_kpi / best_bare:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
