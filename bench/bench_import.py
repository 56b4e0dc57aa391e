"""Benchmark the survey import against a bare load doing the same work, and its peak memory at 200 k and 1 M rows.

    python bench/bench_import.py [--rows 1000000] [--small 200000] [--database URL] [--data DIR] [--repeat 5]

Without --database it works on a fresh SQLite file. For PostgreSQL, start a throwaway server the way scripts/test
does (initdb must run as the postgres user, not root) and pass its URL:

    PG=$(mktemp -d) && chown postgres "$PG"
    BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    runuser -u postgres -- "$BIN/initdb" -D "$PG/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    runuser -u postgres -- "$BIN/pg_ctl" -D "$PG/data" -l "$PG/log" -w \
        -o "-k $PG -c listen_addresses='' -c fsync=off" start >/dev/null
    runuser -u postgres -- "$BIN/createdb" -h "$PG" -U postgres bench
    python bench/bench_import.py --database "postgresql+psycopg://postgres@/bench?host=$PG"
    runuser -u postgres -- "$BIN/pg_ctl" -D "$PG/data" -m immediate stop; rm -rf "$PG"

It generates the files if missing (bench/generate_feedback.py: 500 stores, --rows and --small responses),
builds the schema with the migrations, imports the stores and employees, then times, each in its own process on
empty survey tables:

- `import`: Primo's import, the service `flask surveys import` calls (app.feedback.ingest.import_responses, then
  commit): reading, every check, time zones, duplicates and ids already stored, contacts, cases, audit;
- `bare`: the same rows into the same tables (survey_responses with its foreign keys, unique key and indexes, its
  contacts and follow-up cases) with plain library calls and no checks: csv.reader, a dict from store and employee
  codes to ids, datetime.fromisoformat and zoneinfo for the times, then executemany (SQLite) or binary
  copy.write_row (PostgreSQL), ids counted from 1 since the tables start empty, one commit.

Bare loads and imports alternate, so that a machine whose speed drifts weighs on both alike; the figure is the
median of the pairs' ratios. End to end is the import process from start to exit (interpreter, app, import,
commit). Peak memory is the import process's ru_maxrss.

Goals (issue 13): import ≤ 2× the bare load on both databases (aim 1.5×), under 30 s end to end for 1 M rows on
2 cores, peak memory independent of the file size.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SURVEY_TABLES = ("followup_cases", "response_contacts", "survey_responses", "import_batches")
RESPONSE_COLUMNS = (
    "id, source, batch_id, external_id, store_id, answered_at, local_date, local_month, channel, nps, csat, ces, "
    "comment, employee_id, contact_consent, excluded"
)
PG_RESPONSE_TYPES = ("int4", "text", "int4", "text", "int4", "timestamptz", "date", "int4", "text")
PG_RESPONSE_TYPES += ("int2", "int2", "int2", "text", "int4", "bool", "bool")
CONTACT_COLUMNS = "response_id, customer_name, customer_contact, purge_after"
CASE_COLUMNS = "response_id, store_id, status, opened_at, due_at"
BARE_BATCH = 10_000


def _app(database: str):
    os.environ.setdefault("SECRET_KEY", "bench")
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database})


# --- children: each measurement runs alone in a fresh process ----------------------------------------------------


def child_import(database: str, file: str) -> dict:
    from app.extensions import db
    from app.feedback import ingest

    app = _app(database)
    with app.app_context():
        started = time.perf_counter()
        summary = ingest.import_responses(file, Path(file).name)
        db.session.commit()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": summary.rows, "new": summary.new, "contacts": summary.contacts}


def _codes(cursor) -> tuple[dict[str, int], dict[str, int]]:
    cursor.execute("SELECT code, id FROM stores")
    stores = dict(cursor.fetchall())
    cursor.execute("SELECT number, id FROM employees")
    return stores, dict(cursor.fetchall())


def _bare_rows(file: str, stores: dict[str, int], employees: dict[str, int], batch: int, sqlite: bool):
    """Batches of (responses, contacts, cases) rows for the tables, straight from the CSV cells."""
    zone, now = ZoneInfo("Europe/Paris"), datetime.now(UTC)
    purge = (now + timedelta(days=90)).date()
    # Naive UTC moments: SQLite gets the text SQLAlchemy writes, PostgreSQL's timestamptz an aware datetime.
    text = (lambda v: v.isoformat(" ", "microseconds")) if sqlite else (lambda v: v.replace(tzinfo=UTC))
    day = (lambda v: v.isoformat()) if sqlite else (lambda v: v)
    opened = text(now.replace(tzinfo=None))
    with open(file, newline="", encoding="utf-8") as handle:
        records = csv.reader(handle)
        next(records)
        number = 0
        while chunk := list(islice(records, BARE_BATCH)):
            responses, contacts, cases = [], [], []
            for ext, code, at, channel, nps, csat, ces, comment, employee, consent, name, contact in chunk:
                number += 1
                moment = datetime.fromisoformat(at)
                if moment.tzinfo is None:  # local time
                    utc, local = moment - zone.utcoffset(moment), moment.date()
                else:
                    utc, local = moment.replace(tzinfo=None) - moment.utcoffset(), moment.astimezone(zone).date()
                nps = int(nps) if nps else None
                consent = consent == "yes"
                store = stores[code]
                responses.append(
                    (number, "bare", batch, ext, store, text(utc), day(local), local.year * 100 + local.month)
                    + (channel, nps, int(csat) if csat else None, int(ces) if ces else None, comment or None)
                    + (employees.get(employee), consent, False)
                )
                if consent and (name or contact):
                    contacts.append((number, name or None, contact or None, day(purge)))
                if consent and nps is not None and nps <= 6:
                    cases.append((number, store, "open", opened, text(utc + timedelta(hours=48))))
            yield responses, contacts, cases


def child_bare(database: str, file: str) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(database)
    sqlite = engine.dialect.name == "sqlite"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if sqlite:  # checked, as on Primo's own connections (app.extensions)
            cursor.execute("PRAGMA foreign_keys = ON")
        started = time.perf_counter()
        stores, employees = _codes(cursor)
        cursor.execute(
            "INSERT INTO import_batches (source, filename, created_by, created_at, rows_inserted, rows_skipped) "
            f"VALUES ('bare', 'bare.csv', 'bench', {'CURRENT_TIMESTAMP' if sqlite else 'now()'}, 0, 0)"
        )
        cursor.execute("SELECT max(id) FROM import_batches")
        batch, rows = cursor.fetchone()[0], 0
        for responses, contacts, cases in _bare_rows(file, stores, employees, batch, sqlite):
            rows += len(responses)
            if sqlite:
                marks = ", ".join("?" * 16)
                cursor.executemany(f"INSERT INTO survey_responses ({RESPONSE_COLUMNS}) VALUES ({marks})", responses)
                cursor.executemany(f"INSERT INTO response_contacts ({CONTACT_COLUMNS}) VALUES (?, ?, ?, ?)", contacts)
                cursor.executemany(f"INSERT INTO followup_cases ({CASE_COLUMNS}) VALUES (?, ?, ?, ?, ?)", cases)
                continue
            for table, columns, types, values in (
                ("survey_responses", RESPONSE_COLUMNS, PG_RESPONSE_TYPES, responses),
                ("response_contacts", CONTACT_COLUMNS, ("int4", "text", "text", "date"), contacts),
                ("followup_cases", CASE_COLUMNS, ("int4", "int4", "text", "timestamptz", "timestamptz"), cases),
            ):
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(types)
                    for row in values:
                        copy.write_row(row)
        if not sqlite:  # the ids were given, not drawn: move the sequence past them, as a real load would leave it
            cursor.execute("SELECT setval(pg_get_serial_sequence('survey_responses', 'id'), %s)", (rows,))
        raw.commit()
        seconds = time.perf_counter() - started
    finally:
        raw.close()
        engine.dispose()
    return {"seconds": seconds, "rows": rows}


# --- the parent ---------------------------------------------------------------------------------------------


def run_child(kind: str, database: str, file: Path) -> dict:
    """Run one measurement in a subprocess: its result, its wall time from start to exit, and its peak RSS."""
    command = [sys.executable, __file__, "--child", kind, "--database", database, "--file", str(file)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
    output = process.stdout.read() if process.stdout else b""
    _pid, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{kind} on {file.name} failed")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["end_to_end"] = time.perf_counter() - started
    result["max_rss_mb"] = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return result


def prepare_database(database: str, data: dict[str, Path]) -> None:
    """Schema, stores and employees; the survey tables left empty."""
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
        db.engine.dispose()


def empty_tables(database: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(database)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(SURVEY_TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in SURVEY_TABLES:
                conn.execute(sa.text(f"DELETE FROM {table}"))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text("VACUUM"))
        else:  # the last run's dirty pages written now, not by a checkpoint in the middle of the next run
            conn.execute(sa.text("CHECKPOINT"))
    engine.dispose()
    os.sync()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=200_000, help="the size whose peak memory 1 M is compared with")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file in a temporary folder)")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "primo-bench")
    parser.add_argument("--repeat", type=int, default=5, help="pairs of bare load and import (median ratio)")
    parser.add_argument("--child", choices=("import", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps((child_import if args.child == "import" else child_bare)(args.database, args.file)))
        return

    from generate_feedback import generate

    from app.config import database_uri

    big, small = args.rows, args.small
    files = {}
    for rows in (big, small):
        target = args.data / f"surveys-{rows}.csv"
        if not target.exists():
            print(f"generating {rows:,} rows in {args.data} …", flush=True)
        files[rows] = target if target.exists() else generate(args.data, rows)["surveys"]
    data = {"stores": args.data / "stores.csv", "employees": args.data / "employees.csv"}

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
                f"  {kind:6} {rows:>9,} rows: {result['seconds']:6.2f} s load, {result['end_to_end']:6.2f} s end to "
                f"end, peak RSS {result['max_rss_mb']:5.0f} MB",
                flush=True,
            )
            return result

        pairs = [(once("bare", big), once("import", big)) for _ in range(args.repeat)]
        smalls = [once("import", small) for _ in range(max(args.repeat // 2, 1))]
        ratios = sorted(i["seconds"] / b["seconds"] for b, i in pairs)
        imports = [i for _, i in pairs]
        print()
        print(
            f"import / bare load, {big:,} rows: median {statistics.median(ratios):.2f} "
            f"(pairs {', '.join(f'{r:.2f}' for r in ratios)}; goal <= 2.0, aim 1.5)"
        )
        print(
            f"bare load: median {statistics.median(b['seconds'] for b, _ in pairs):.2f} s; import: median "
            f"{statistics.median(i['seconds'] for i in imports):.2f} s, end to end "
            f"{statistics.median(i['end_to_end'] for i in imports):.2f} s (goal < 30 s)"
        )
        peak_big, peak_small = max(i["max_rss_mb"] for i in imports), max(i["max_rss_mb"] for i in smalls)
        print(
            f"peak RSS of the import: {peak_small:.0f} MB at {small:,} rows, {peak_big:.0f} MB at {big:,} rows "
            f"(ratio {peak_big / peak_small:.2f})"
        )
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
