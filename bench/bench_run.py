"""Benchmark: a bonus run (create + compute + commit) for 10 k employees × 3 components, with the SQL it issues.

Reuses bench_aggregate.py's dataset (500 stores in 10 regions, 1 M survey answers over 24 months, written with
COPY on PostgreSQL), adds employees and their store assignments in bulk (1 % transferred in the middle of the
quarter), imports a three-component scheme (store NPS, store CSAT, regional CES change against the previous
quarter) and times runs.create_run + runs.compute + commit. Every statement the driver receives is counted with a
`before_cursor_execute` event (and the COPY that writes the lines, which that event does not see); the count
must not grow with the number of employees (goal: under 5 s at 10 k).

    .venv/bin/python bench/bench_run.py --database postgresql+psycopg://postgres@/bench?host=/tmp/pg
    .venv/bin/python bench/bench_run.py --database … --sizes 1000,10000 --repeat 3
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_aggregate  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.incentives import runs  # noqa: E402
from app.incentives.scheme_format import read_document  # noqa: E402
from app.incentives.schemes import save_document  # noqa: E402
from app.periods import Period  # noqa: E402

PERIOD = Period.parse("2026-Q3")
SCHEME = {
    "format": "primo-scheme/1",
    "code": "BENCH-3",
    "name": "Bench: NPS, CSAT and regional CES progress",
    "description": "",
    "period_type": "quarter",
    "valid_from": "2025-01-01",
    "valid_to": None,
    "pay_code": "BENCH",
    "target": {"kind": "percent_of_base", "value": "5"},
    "cap": "900.00",
    "pool": None,
    "eligibility": {
        "job_roles": None,
        "stores": None,
        "regions": None,
        "min_tenure_days": 0,
        "employed_at_period_end": False,
    },
    "components": [
        {
            "key": "nps",
            "kpi": "nps",
            "direction": "higher",
            "scope": "store",
            "weight": "50",
            "measure": "value",
            "min_responses": 30,
            "fallback": "pool_previous",
            "curve": {
                "type": "linear",
                "threshold": "20",
                "floor": "50",
                "target": "40",
                "maximum": "60",
                "ceiling": "150",
            },
        },
        {
            "key": "csat",
            "kpi": "csat",
            "direction": "higher",
            "scope": "store",
            "weight": "30",
            "measure": "value",
            "min_responses": 30,
            "fallback": "zero",
            "curve": {"type": "steps", "steps": [["60", "50"], ["70", "100"], ["80", "120"]]},
        },
        {
            "key": "ces",
            "kpi": "ces",
            "direction": "higher",
            "scope": "region",
            "weight": "20",
            "measure": "change_previous",
            "min_responses": 30,
            "fallback": "full",
            "curve": {"type": "steps", "steps": [["-0.2", "50"], ["0", "100"], ["0.2", "120"]]},
        },
    ],
}
EMPLOYEE_COLUMNS = (
    "number",
    "payroll_id",
    "first_name",
    "last_name",
    "job_role",
    "hire_date",
    "fte",
    "annual_base_salary",
    "cost_center",
    "language",
)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a PostgreSQL database (emptied!)")
    parser.add_argument("--stores", type=int, default=500)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--sizes", default="1000,10000", help="employee counts to run, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (best and median shown)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the survey dataset even if it is there")
    return parser.parse_args()


def _employees(count: int, seed: int = 11) -> float:
    """Replace every employee by `count` new ones spread over the stores; 1 % move store on 16 August."""
    started = time.perf_counter()
    for table in ("run_adjustments", "line_questions", "run_lines", "bonus_runs", "assignments", "employees"):
        db.session.execute(sa.text(f"DELETE FROM {table}"))
    db.session.commit()
    rng = random.Random(seed)
    store_ids = list(db.session.scalars(sa.text("SELECT id FROM stores ORDER BY id")))
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY employees ({', '.join(EMPLOYEE_COLUMNS)}) FROM STDIN") as copy:
            for n in range(count):
                part_time = n % 10 == 0
                hire = date(2026, 8, 1) if n % 50 == 0 else date(2015 + n % 10, 1 + n % 12, 1 + n % 28)
                salary = rng.randrange(2_200_000, 4_500_000, 100) / 100 * (0.6 if part_time else 1)
                copy.write_row(
                    (
                        f"B{n:06d}",
                        f"PB{n:06d}",
                        "Alex",
                        f"Bench{n}",
                        "store_manager" if n % 20 == 0 else "sales_associate",
                        hire,
                        "0.6" if part_time else "1",
                        f"{salary:.2f}",
                        "CC1",
                        "fr" if n % 7 else "en",
                    )
                )
        raw.commit()
        ids = [row[0] for row in cursor.execute("SELECT id, hire_date FROM employees ORDER BY id").fetchall()]
        hires = dict(cursor.execute("SELECT id, hire_date FROM employees").fetchall())
        with cursor.copy("COPY assignments (employee_id, store_id, start_date, end_date) FROM STDIN") as copy:
            for index, employee_id in enumerate(ids):
                store = store_ids[index % len(store_ids)]
                if index % 100 == 1:
                    copy.write_row((employee_id, store, hires[employee_id], date(2026, 8, 15)))
                    copy.write_row((employee_id, store_ids[(index + 1) % len(store_ids)], date(2026, 8, 16), None))
                else:
                    copy.write_row((employee_id, store, hires[employee_id], None))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def _one_run(statements: list[str]) -> tuple[float, int, int]:
    """Create, compute and commit one run; returns (seconds, statements issued, lines)."""
    for table in ("run_adjustments", "run_lines", "bonus_runs"):
        db.session.execute(sa.text(f"DELETE FROM {table}"))
    db.session.commit()
    db.session.remove()
    statements.clear()
    started = time.perf_counter()
    run = runs.create_run(SCHEME["code"], str(PERIOD))
    result = runs.compute(run)
    db.session.commit()
    elapsed = time.perf_counter() - started
    return elapsed, len(statements), len(result.lines)


def _kind(statement: str) -> str:
    words = statement.split()
    head = " ".join(words[:3]).upper()
    for table in ("run_lines", "bonus_runs", "audit_events", "survey_responses", "assignments", "employees"):
        if table in statement[:400]:
            return f"{words[0].upper()} … {table}"
    return head[:40]


def main() -> int:
    args = _arguments()
    if not args.database.startswith("postgresql"):
        print("the run benchmark is meant for PostgreSQL (COPY); give --database postgresql+psycopg://…")
        return 2
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database, "SECRET_KEY": "bench", "SQLALCHEMY_ENGINE_OPTIONS": {}})
    statements: list[str] = []
    with app.app_context():
        if args.rebuild or not bench_aggregate._present(args.responses, args.stores):
            db.session.remove()
            db.engine.dispose()
            bench_aggregate._reset_schema(args.database)
            upgrade(directory=str(ROOT / "migrations"))
            print(f"building {args.responses:,} responses for {args.stores} stores…", flush=True)
            print(f"  built in {bench_aggregate._build(args.responses, args.stores):.1f} s", flush=True)
        else:
            print(f"reusing {args.responses:,} responses for {args.stores} stores")
        db.session.execute(sa.text("DELETE FROM run_lines"))
        db.session.execute(sa.text("DELETE FROM bonus_runs"))
        db.session.execute(sa.text("DELETE FROM objective_publications"))
        db.session.execute(sa.text("DELETE FROM scheme_versions"))
        db.session.execute(sa.text("DELETE FROM schemes"))
        save_document(read_document(SCHEME))
        db.session.commit()

        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            statements.append(statement)

        # runs.compute writes its lines with COPY on PostgreSQL, which SQLAlchemy's events do not see: count it too.
        plain_copy = psycopg.Cursor.copy

        def counted_copy(cursor, statement, *args, **kwargs):  # noqa: ANN001
            statements.append(str(statement))
            return plain_copy(cursor, statement, *args, **kwargs)

        psycopg.Cursor.copy = counted_copy  # type: ignore[method-assign]

        report = []
        for size in [int(s) for s in args.sizes.split(",")]:
            built = _employees(size)
            print(f"{size:,} employees written in {built:.1f} s", flush=True)
            timings, counts = [], set()
            kinds: Counter[str] = Counter()
            lines = 0
            for _ in range(args.repeat):
                seconds, issued, lines = _one_run(statements)
                timings.append(seconds)
                counts.add(issued)
                kinds = Counter(_kind(s) for s in statements)
            report.append((size, lines, timings, counts, kinds))
            print(
                f"  run: {lines:,} lines, best {min(timings):.2f} s, median {statistics.median(timings):.2f} s, "
                f"{sorted(counts)} statements",
                flush=True,
            )
        sa.event.remove(db.engine, "before_cursor_execute", count)
        psycopg.Cursor.copy = plain_copy  # type: ignore[method-assign]

    print(f"\n{PERIOD}, 3 components (store NPS, store CSAT, regional CES change), {args.stores} stores")
    print(f"{'employees':>10} {'lines':>8} {'best s':>8} {'median s':>9} {'statements':>11}")
    for size, lines, timings, counts, _kinds in report:
        print(
            f"{size:>10,} {lines:>8,} {min(timings):>8.2f} {statistics.median(timings):>9.2f} "
            f"{'/'.join(map(str, sorted(counts))):>11}"
        )
    print("\nstatements of the last run, by kind:")
    for kind, number in sorted(report[-1][4].items()):
        print(f"  {number:4d}  {kind}")
    best = min(report[-1][2])
    print(f"\ngoal < 5 s at {report[-1][0]:,} employees: {'met' if best < 5 else 'MISSED'} ({best:.2f} s)")
    constant = len({next(iter(r[3])) for r in report}) == 1 and all(len(r[3]) == 1 for r in report)
    print(f"same number of statements at every size: {'yes' if constant else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
