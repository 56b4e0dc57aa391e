"""Benchmark: the demo's main pages under load (gunicorn, 2 workers, PostgreSQL) and one at a time.

Sets up a throwaway PostgreSQL the way scripts/test does (or uses --database), migrates it and runs
`flask seed-demo`, starts gunicorn with 2 sync workers, then:
- one at a time: each role's main pages, the median of --requests sequential requests with a logged-in session,
  against a bare Flask + Jinja page of the same size (bench/bare_page.py) served by gunicorn the same way;
- under load: Locust headless (bench/locustfile.py: employees, managers and HR walking their pages) with 8 and 16
  users for --duration seconds each, on the same cores; pages/s, p50 and p99 per page and overall.
The machine's load (`uptime`) is printed before and after, since other work on it skews every figure.

    .venv/bin/python bench/bench_load.py                          # 8 and 16 users, 60 s each
    .venv/bin/python bench/bench_load.py --users 16 --duration 30 --requests 50
    .venv/bin/python bench/bench_load.py --database postgresql+psycopg://postgres@/demo?host=/tmp/pg --no-seed
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(BENCH))
from journeys import DEMO_PASSWORD, JOURNEYS, resolve  # noqa: E402


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL server in a temporary directory (initdb as the postgres user when run as root), its URL."""
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not binaries:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql), or pass --database")
    pg_bin = binaries[-1]
    folder = Path(tempfile.mkdtemp(prefix="primo-bench-pg."))
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    options = f"-k {folder} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=200"
    try:
        subprocess.run(
            [*as_pg, pg_bin / "initdb", "-D", folder / "data", "-U", "postgres", "-A", "trust", "-E", "UTF8"]
            + ["--locale=C.UTF-8"],
            check=True,
            **quiet,
        )
        subprocess.run(
            [*as_pg, pg_bin / "pg_ctl", "-D", folder / "data", "-l", folder / "log", "-w", "-o", options, "start"],
            check=True,
            **quiet,
        )
        subprocess.run([*as_pg, pg_bin / "createdb", "-h", folder, "-U", "postgres", "bench"], check=True, **quiet)
        yield f"postgresql+psycopg://postgres@/bench?host={folder}"
    finally:
        subprocess.run([*as_pg, pg_bin / "pg_ctl", "-D", folder / "data", "-m", "immediate", "stop"], **quiet)
        shutil.rmtree(folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int, chdir: Path = ROOT, ready: str = "/") -> Iterator[str]:
    """Serve `app` with gunicorn's sync workers on a free local port until the block ends; yield its base URL once
    `ready` answers (the master listens before its workers have imported the app)."""
    port = free_port()
    log = open(tempfile.mktemp(prefix="primo-bench-gunicorn.", suffix=".log"), "w")  # noqa: SIM115
    process = subprocess.Popen(
        [VENV_BIN / "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(chdir)]
        + ["--timeout", "120", app],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            with contextlib.suppress(OSError):
                if get(base, ready)[0] == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"gunicorn did not serve {ready}, see {log.name}")
            time.sleep(0.5)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def get(base: str, path: str, cookie: str = "") -> tuple[int, bytes, http.client.HTTPResponse]:
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, response


def log_in(base: str, email: str) -> str:
    """Log in through the form (with its CSRF token); return the session cookie."""
    import re

    _status, body, response = get(base, "/login")
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    form = urllib.parse.urlencode(
        {"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1).decode() if token else ""}
    )
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request("POST", "/login", form, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        sys.exit(f"could not log in as {email}: {response.status}")
    return response.getheader("Set-Cookie", "").split(";")[0]


def median_ms(base: str, path: str, cookie: str, count: int) -> tuple[float, int]:
    """Median time of `count` sequential requests for a page (after one warm-up), and the page's size."""
    status, body, _response = get(base, path, cookie)
    if status != 200:
        sys.exit(f"{path}: {status}")
    times = []
    for _ in range(count):
        start = time.perf_counter()
        get(base, path, cookie)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, len(body)


def one_at_a_time(base: str, bare: str, paths: dict[str, list[tuple[str, str]]], count: int) -> None:
    bare_ms, bare_size = median_ms(bare, "/", "", count)
    print(f"\nOne at a time (median of {count} sequential requests, logged in):")
    print(f"  {'bare Flask + Jinja page':44} {bare_ms:7.1f} ms  {bare_size / 1024:5.1f} KB   1.0×")
    for role, pages in paths.items():
        cookie = log_in(base, JOURNEYS[role][0])
        for name, path in pages:
            status, _body, response = get(base, path, cookie)
            if status in (302, 303):  # a manager's dashboard opens on their store: time that page
                path = urllib.parse.urlsplit(response.getheader("Location")).path
            ms, size = median_ms(base, path, cookie, count)
            flag = "" if ms <= 10 else "  > 10 ms"
            print(f"  {role + ': ' + name:44} {ms:7.1f} ms  {size / 1024:5.1f} KB {ms / bare_ms:5.1f}×{flag}")
    bare_after, _size = median_ms(bare, "/", "", count)
    print(f"  {'bare page again (drift)':44} {bare_after:7.1f} ms")


def under_load(base: str, env: dict[str, str], users: int, duration: int) -> None:
    prefix = Path(tempfile.mkdtemp(prefix="primo-bench-locust.")) / "run"
    subprocess.run(
        [VENV_BIN / "locust", "-f", BENCH / "locustfile.py", "--headless", "--only-summary", "--skip-log-setup"]
        + ["-u", str(users), "-r", str(users), "-t", f"{duration}s", "-H", base, "--csv", str(prefix)],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    print(f"\nUnder load: {users} Locust users for {duration} s, gunicorn 2 workers ({uptime()})")
    print(f"  {'page':34} {'requests':>8} {'fails':>5} {'pages/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL PAGES"
        print(
            f"  {name:34.34} {row['Request Count']:>8} {row['Failure Count']:>5} {float(row['Requests/s']):8.1f} "
            f"{row['50%']:>7} {row['99%']:>7}"
        )
    shutil.rmtree(prefix.parent, ignore_errors=True)


def prepare(database: str, env: dict[str, str]) -> None:
    flask = [VENV_BIN / "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        done = subprocess.run([*flask, *command], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def resolved_paths(database: str) -> dict[str, list[tuple[str, str]]]:
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from app.extensions import db

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        paths = {
            role: [(name, resolve(path, db.session, email)) for name, path in pages]
            for role, (email, pages) in JOURNEYS.items()
        }
        db.engine.dispose()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a migrated PostgreSQL URL (default: a throwaway server)")
    parser.add_argument("--no-seed", action="store_true", help="the database already holds the demo")
    parser.add_argument("--users", type=int, action="append", help="Locust users (repeat; default 8 and 16)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per user count")
    parser.add_argument("--requests", type=int, default=30, help="sequential requests per page, one at a time")
    parser.add_argument("--skip-load", action="store_true", help="only the one-at-a-time timings")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPUs; {uptime()}")
    with contextlib.ExitStack() as stack:
        database = args.database or stack.enter_context(throwaway_postgres())
        env = {
            **os.environ,
            "DATABASE_URL": database,
            "SECRET_KEY": "bench-load",
            "PRIMO_LOGIN_CLIENT_LIMIT": "100000 per minute",  # every Locust user logs in from 127.0.0.1
        }
        if not args.no_seed:
            started = time.perf_counter()
            prepare(database, env)
            print(f"demo seeded in {time.perf_counter() - started:.0f} s")
        paths = resolved_paths(database)
        env["BENCH_PATHS"] = json.dumps(paths)
        base = stack.enter_context(gunicorn("wsgi:app", env, workers=2, ready="/login"))
        bare = stack.enter_context(gunicorn("bare_page:app", env, workers=1, chdir=BENCH))
        one_at_a_time(base, bare, paths, args.requests)
        if not args.skip_load:
            for users in args.users or [8, 16]:
                under_load(base, env, users, args.duration)
    print(f"\nafter: {uptime()}")


if __name__ == "__main__":
    main()
