"""Where a page's time goes: per page, the median of N in-process requests with a logged-in session, the SQL queries
it sends (count and time), and optionally the functions that cost most (cProfile).

Works on a database already migrated and seeded with `flask seed-demo` (bench/bench_load.py sets one up):

    DATABASE_URL=postgresql+psycopg://postgres@/demo?host=/tmp/pg python bench/profile_pages.py
    python bench/profile_pages.py --database sqlite:///instance/primo.sqlite --profile /my/bonus --top 40
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from bare_page import app as bare_app  # noqa: E402
from journeys import DEMO_PASSWORD, JOURNEYS, resolve  # noqa: E402


def median_ms(client, path: str, count: int) -> float:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class QueryCounter:
    """Count the statements the engine runs and the time they take."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.statements: list[str] = []

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.count += 1
        self.seconds += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        self.statements.append(statement)

    def reset(self) -> None:
        self.count, self.seconds, self.statements = 0, 0.0, []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (median counts)")
    parser.add_argument("--profile", action="append", default=[], help="page path to profile with cProfile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--queries", action="store_true", help="print each page's SQL statements, shortened")
    args = parser.parse_args()
    if not args.database:
        parser.error("give --database or DATABASE_URL")

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": args.database, "WTF_CSRF_ENABLED": False})
    counter = QueryCounter()
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", counter.before)
        sa.event.listen(db.engine, "after_cursor_execute", counter.after)

    print(uptime())
    bare = bare_app.test_client()
    bare_ms = median_ms(bare, "/", args.requests)
    start_cpu = time.process_time()
    for _ in range(args.requests):
        bare.get("/")
    bare_cpu = (time.process_time() - start_cpu) / args.requests * 1000
    print(f"{'role':9} {'page':44} {'p50 ms':>7} {'× bare':>6} {'CPU ms':>7} {'SQL':>4} {'SQL ms':>7} {'bytes':>7}")
    print(f"{'-':9} {'bare Flask + Jinja page':44} {bare_ms:7.1f} {1:6.1f} {bare_cpu:7.1f}")
    total = 0.0
    for role, (email, pages) in JOURNEYS.items():
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, (email, response.status_code)
        for name, path in pages:
            with app.app_context():
                path = resolve(path, db.session, email)
            response = client.get(path)
            if response.status_code in (302, 303):  # e.g. a manager's dashboard opens on their store: time that
                path = response.headers["Location"]
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            times, cpu = [], []
            for _ in range(args.requests):
                counter.reset()
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            ms = statistics.median(times) * 1000
            cpu_ms = statistics.median(cpu) * 1000
            total += ms
            print(
                f"{role:9} {name + ' ' + path:44.44} {ms:7.1f} {ms / bare_ms:6.1f} {cpu_ms:7.1f} {counter.count:4d} "
                f"{counter.seconds * 1000:7.1f} {len(response.data):7d}"
            )
            if args.queries:
                for statement in counter.statements:
                    print("      ", re.sub(r"\s+", " ", statement)[:160])
            if path in args.profile or name in args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.requests):
                    client.get(path)
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    print(f"sum of the pages' medians: {total:.0f} ms = {total / bare_ms:.1f} bare pages; {uptime()}")


if __name__ == "__main__":
    main()
