"""Benchmark the survey import against a raw bulk load of the same file, and its memory at 100 k and 1 M rows.

    python bench/bench_import.py [--rows 1000000] [--database URL] [--data DIR] [--repeat 3]

In one run, on one database (a fresh SQLite file by default, or the PostgreSQL named by --database, whose feedback
tables are emptied between runs), it:

1. generates the files if missing (bench/generate_feedback.py: 500 stores, --rows responses, and a tenth of that);
2. imports the stores and employees, then measures, each in its own subprocess on an empty survey table:
   - `ours`: the product's import (app.feedback.ingest.import_responses + commit: reading, checks, time zones,
     contacts, follow-up cases, audit) of the big file and of the small one;
   - `raw`: a bare load of the big file into a table with the file's columns and a unique external id, without
     any check: csv.reader + executemany on SQLite, COPY … FROM STDIN on PostgreSQL;
   raw and ours alternate, --repeat pairs of them, so that a machine whose speed drifts weighs on both alike;
3. prints the import time per million rows, the ratio to the raw load (the median of the pairs' ratios, and the
   fastest import over the fastest raw load), and the peak resident memory of the
   import at both sizes and their ratio: ru_maxrss of the measuring process, plus that of the reader process the
   import forks for a large file (added up, so shared pages count twice).

Goals (issue 4): import ≤ 2× the raw load (aim 1.5×), peak memory at 1 M ≤ 1.2× that at 100 k.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RAW_COLUMNS = (
    "external_id",
    "store_code",
    "answered_at",
    "channel",
    "nps",
    "csat",
    "ces",
    "comment",
    "employee_number",
    "contact_consent",
    "customer_name",
    "customer_contact",
)
RAW_TABLE_SQL = (
    "CREATE TABLE bench_raw_responses (id {pk}, source VARCHAR(80) NOT NULL DEFAULT 'raw', "
    "external_id VARCHAR(120) NOT NULL, store_code VARCHAR(40), answered_at VARCHAR(40), channel VARCHAR(40), "
    "nps SMALLINT, csat SMALLINT, ces SMALLINT, comment TEXT, employee_number VARCHAR(40), "
    "contact_consent VARCHAR(10), customer_name VARCHAR(200), customer_contact VARCHAR(254), "
    "UNIQUE (source, external_id))"
)


def _app(database: str):
    os.environ.setdefault("SECRET_KEY", "bench")
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database})


# --- children: each measurement runs alone in a fresh process ----------------------------------------------------


def _cpu() -> float:
    """CPU seconds of this process (all threads) and of its finished children (the import's reader process);
    the database server's own work is not in it."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peaks_mb() -> dict:
    """Peak resident memory of this process and of the largest finished child (ru_maxrss: KiB on Linux)."""
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"own_rss_mb": own.ru_maxrss / scale, "reader_rss_mb": children.ru_maxrss / scale}


def child_ours(database: str, file: str) -> dict:
    from app.extensions import db
    from app.feedback import ingest

    app = _app(database)
    with app.app_context():
        started, cpu = time.perf_counter(), _cpu()
        summary = ingest.import_responses(file, Path(file).name)
        db.session.commit()
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        return {
            "seconds": seconds,
            "cpu": cpu,
            "rows": summary.rows,
            "new": summary.new,
            "cases": summary.cases,
            **_peaks_mb(),
        }


def child_raw(database: str, file: str) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(database)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started, cpu = time.perf_counter(), _cpu()
        if engine.dialect.name == "postgresql":
            columns = ", ".join(RAW_COLUMNS)
            with (
                open(file, "rb") as handle,
                cursor.copy(f"COPY bench_raw_responses ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)
            rows = cursor.rowcount
        else:
            marks = ", ".join("?" * len(RAW_COLUMNS))
            with open(file, newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                next(reader)
                cursor.executemany(
                    f"INSERT INTO bench_raw_responses ({', '.join(RAW_COLUMNS)}) VALUES ({marks})", reader
                )
            rows = cursor.rowcount
        raw.commit()
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    finally:
        raw.close()
        engine.dispose()
    return {"seconds": seconds, "cpu": cpu, "rows": rows}


# --- the parent ---------------------------------------------------------------------------------------------


def run_child(kind: str, database: str, file: Path) -> dict:
    """Run one measurement in a subprocess; its own peak RSS comes from wait4 (RUSAGE of that child only)."""
    command = [sys.executable, __file__, "--child", kind, "--database", database, "--file", str(file)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
    output = process.stdout.read() if process.stdout else b""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{kind} on {file.name} failed with exit code {process.returncode}")
    result = json.loads(output.decode().strip().splitlines()[-1])
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    result["max_rss_mb"] = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    if result.get("reader_rss_mb"):
        # The import reads large files in a forked child: count both processes' peaks, added up (pages they
        # share after the fork are counted twice, so this over-states the memory in use).
        result["max_rss_mb"] = result["own_rss_mb"] + result["reader_rss_mb"]
    return result


def prepare_database(database: str, data: dict[str, Path]) -> None:
    """Schema, stores and employees; the feedback tables and the raw table left empty."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app.core.tabular import read_table
    from app.extensions import db
    from app.org import services

    app = _app(database)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        services.apply_stores(services.plan_stores(read_table(data["stores"].read_bytes())))
        services.apply_employees(services.plan_employees(read_table(data["employees"].read_bytes())))
        db.session.commit()
        pk = "SERIAL PRIMARY KEY" if db.engine.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
        with db.engine.begin() as conn:
            conn.execute(sa.text(RAW_TABLE_SQL.format(pk=pk)))
        db.engine.dispose()


def empty_tables(database: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(database)
    tables = ("followup_cases", "response_contacts", "survey_responses", "import_batches", "bench_raw_responses")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f"DELETE FROM {table}"))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text("VACUUM"))
        else:  # the last run's dirty pages written now, not by a checkpoint in the middle of the next run
            try:
                conn.execute(sa.text("CHECKPOINT"))
            except sa.exc.DBAPIError:
                pass  # CHECKPOINT needs a superuser or pg_checkpoint: then the runs share that noise
    engine.dispose()
    os.sync()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file in a temporary folder)")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "primo-bench")
    parser.add_argument("--repeat", type=int, default=3, help="pairs of raw load and import to time (median ratio)")
    parser.add_argument("--child", choices=("ours", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = (child_ours if args.child == "ours" else child_raw)(args.database, args.file)
        print(json.dumps(result))
        return

    from generate_feedback import generate

    from app.config import database_uri

    big, small = args.rows, max(args.rows // 10, 1)
    files = {}
    for rows in (big, small):
        target = args.data / f"surveys-{rows}.csv"
        if not target.exists():
            print(f"generating {rows} rows in {args.data} …", flush=True)
        files[rows] = target if target.exists() else generate(args.data, rows)["surveys"]
    data = {"stores": args.data / "stores.csv", "employees": args.data / "employees.csv"}
    if not data["stores"].exists():
        data.update(generate(args.data, small))

    workdir = None
    if args.database:
        database = database_uri(args.database)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="primo-bench-db-"))
        database = f"sqlite:///{workdir / 'bench.sqlite'}"
    try:
        prepare_database(database, data)
        dialect = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
        print(f"{dialect}: {big:,} and {small:,} rows, 500 stores", flush=True)

        def once(kind: str, rows: int) -> dict:
            empty_tables(database)
            result = run_child(kind, database, files[rows])
            print(
                f"  {kind:4} {rows:>9,} rows: {result['seconds']:7.2f} s wall, {result['cpu']:6.2f} s CPU "
                f"(client processes), peak RSS {result['max_rss_mb']:6.0f} MB",
                flush=True,
            )
            return result

        # Raw and ours alternate, so that a machine slowing down or speeding up weighs on both alike; each pair
        # gives a ratio, and the median of those is the figure.
        pairs = [(once("raw", big), once("ours", big)) for _ in range(args.repeat)]
        smalls = [once("ours", small) for _ in range(args.repeat)]
        ratios = sorted(o["seconds"] / r["seconds"] for r, o in pairs)
        time_ratio = statistics.median(ratios)
        raw = min((r for r, _ in pairs), key=lambda r: r["seconds"])
        ours_big = min((o for _, o in pairs), key=lambda o: o["seconds"])
        ours_big = {**ours_big, "max_rss_mb": max(o["max_rss_mb"] for _, o in pairs)}
        ours_small = {**smalls[0], "max_rss_mb": max(o["max_rss_mb"] for o in smalls)}
        per_million = ours_big["seconds"] * 1_000_000 / big
        raw_per_million = raw["seconds"] * 1_000_000 / big
        memory_ratio = ours_big["max_rss_mb"] / ours_small["max_rss_mb"]
        print()
        print(f"import: {per_million:.2f} s per million rows ({ours_big['new']:,} new, {ours_big['cases']:,} cases)")
        print(f"raw load: {raw_per_million:.2f} s per million rows")
        listed = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"import / raw time ratio: {time_ratio:.2f}, median of the pairs ({listed}) (goal <= 2.0, aim 1.5)")
        print(f"fastest import / fastest raw load: {ours_big['seconds'] / raw['seconds']:.2f}")
        if dialect == "SQLite":  # no server process: the client CPU is all the work (the import uses two cores)
            cpu = statistics.median(sorted(o["cpu"] / r["cpu"] for r, o in pairs))
            print(f"import / raw CPU ratio: {cpu:.2f} (median)")
        print(
            f"peak RSS: {ours_small['max_rss_mb']:.0f} MB at {small:,} rows, {ours_big['max_rss_mb']:.0f} MB at "
            f"{big:,} rows; ratio {memory_ratio:.2f} (goal <= 1.2)"
        )
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
