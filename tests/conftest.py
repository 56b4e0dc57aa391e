"""Fixtures: one app per test session on SQLite (default) or the PostgreSQL named by PRIMO_TEST_DATABASE_URL.

The schema is built once with the real migrations; every test that uses `app` starts from empty tables.
Factories return callables that make what a test needs.
"""

from __future__ import annotations

import io
import itertools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings

from app import create_app
from app.auth.services import create_user
from app.core.company import CompanySettings, save_company_settings
from app.extensions import db
from app.org.models import Assignment, Employee, ManagerScope, Region, Store
from tests import helpers
from tests.helpers import CUSTOMER_CONTACT, CUSTOMER_NAME, EXAMPLE_SCHEME, INTERESSEMENT_SCHEME, csrf_token

# Properties judge results, not speed: on 2 shared cores an example can take longer than Hypothesis's 200 ms.
settings.register_profile("primo", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("primo")

# What test modules may import from here besides fixtures: constants, and the login helpers.
__all__ = [
    "CUSTOMER_CONTACT",
    "CUSTOMER_NAME",
    "EXAMPLE_SCHEME",
    "INTERESSEMENT_SCHEME",
    "MID_QUARTER",
    "PASSWORD",
    "QUARTER_TURN",
    "csrf_token",
    "login",
    "logout",
]

PASSWORD = "correct horse battery"
# Instants for tests that depend on "today" (frozen with `frozen_time`): the middle of a quarter, and the first
# half hour of a quarter in Paris, when UTC still says the previous one.
MID_QUARTER = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
QUARTER_TURN = datetime(2026, 9, 30, 22, 30, tzinfo=UTC)


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("PRIMO_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "primo-test.sqlite")


@pytest.fixture(scope="session")
def session_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            "PRIMO_PASSWORD_METHOD": "pbkdf2:sha256:1000",  # fast hashing; production keeps scrypt
            # Pages a test reads without a language of its own are in English; French is tested explicitly.
            "PRIMO_DEFAULT_LANGUAGE": "en",
            "SERVER_NAME": None,
        }
    )
    app.instance_path = str(instance)
    request_started.connect(_fresh_globals, app)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    _empty_tables(app)  # rows a migration wrote: the first test starts from empty tables like every other
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # close pooled connections: pytest turns an unclosed one into an error


def _fresh_globals(sender: Flask, **extra: Any) -> None:
    # Tests keep one app context open around their requests, so `g` would otherwise carry the logged-in
    # user, the CSRF token and the locale from one request to the next, which production never does.
    vars(g).clear()


def _tables_holding_rows(conn: sa.Connection) -> set[str]:
    """The tables that hold rows (one query; each probe stops at the first row)."""
    probes = " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {t.name})" for t in db.metadata.sorted_tables
    )
    return set(conn.execute(sa.text(probes)).scalars())


def _empty_tables(app: Flask) -> None:
    """Leave every table empty and every id counter at its start, touching only what the test wrote."""
    # TRUNCATE of every table took PostgreSQL 100-150 ms per test, even empty (new files for each table and index),
    # while most tests write into a handful of tables: only those are truncated. PostgreSQL keeps TRUNCATE rather
    # than DELETE so that each test starts from fresh tables, whose rows come back in the order they were written,
    # as before. SQLite deletes, children first. Only the id counters that moved are reset.
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            filled = _tables_holding_rows(conn)
            postgresql = conn.dialect.name == "postgresql"
            if postgresql and filled:
                conn.execute(sa.text(f"TRUNCATE {', '.join(sorted(filled))} CASCADE"))
            elif filled:
                for table in reversed(db.metadata.sorted_tables):
                    if table.name in filled:
                        conn.execute(table.delete())
            if postgresql:
                used = conn.execute(
                    sa.text(
                        "SELECT schemaname || '.' || sequencename FROM pg_sequences"
                        " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                    )
                ).scalars()
                resets = ", ".join(f"setval('{name}', 1, false)" for name in used)
                if resets:
                    conn.execute(sa.text(f"SELECT {resets}"))
            elif _has_sqlite_sequence(conn):
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))


def _has_sqlite_sequence(conn: sa.Connection) -> bool:
    return conn.execute(sa.text("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")).first() is not None


@pytest.fixture
def app(session_app: Flask) -> Iterator[Flask]:
    """The application with empty tables, inside an app context."""
    with session_app.app_context():
        yield session_app
        db.session.remove()
    _empty_tables(session_app)


@pytest.fixture
def frozen_time() -> Iterator[Callable[[datetime], None]]:
    """Stop the clock at an instant for the rest of the test (the app's `clock.today()` is then that day, locally)."""
    travels: list[time_machine.travel] = []

    def freeze(instant: datetime) -> None:
        travel = time_machine.travel(instant, tick=False)
        travel.start()
        travels.append(travel)

    yield freeze
    for travel in reversed(travels):
        travel.stop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


# --- the demo company: built by `flask seed-demo` once per session and "today", then copied back -----------------


class _DemoSnapshot:
    """What `flask seed-demo` wrote into empty tables, and what it printed. PostgreSQL: a copy of each table it filled
    in a schema of its own, with the id counters it left; SQLite: the whole database, copied by SQLite's backup.
    The copies are named copy_of_<table>: a test reading pg_class by a table's name must find only the table."""

    def __init__(self, number: int, result: Any) -> None:
        self.result = result
        if db.engine.dialect.name == "postgresql":
            self.schema = f"demo_snapshot_{number}"
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE; CREATE SCHEMA {self.schema}"))
                filled = _tables_holding_rows(conn)
                self.tables = [t.name for t in db.metadata.sorted_tables if t.name in filled]
                for name in self.tables:
                    conn.execute(sa.text(f"CREATE TABLE {self.schema}.copy_of_{name} AS SELECT * FROM {name}"))
                self.counters = conn.execute(
                    sa.text(
                        "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences"
                        " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                    )
                ).all()
        else:
            self.copy = sqlite3.connect(":memory:", check_same_thread=False)
            with _sqlite_connection() as connection:
                connection.backup(self.copy)

    def restore(self) -> None:
        """Put the demo back into the empty database (parents first on PostgreSQL, whose copy keeps column order)."""
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                for name in self.tables:
                    conn.execute(sa.text(f"INSERT INTO {name} SELECT * FROM {self.schema}.copy_of_{name}"))
                resets = ", ".join(f"setval('{name}', {value}, true)" for name, value in self.counters)
                if resets:
                    conn.execute(sa.text(f"SELECT {resets}"))
        else:
            with _sqlite_connection() as connection:
                self.copy.backup(connection)


@contextmanager
def _sqlite_connection() -> Iterator[sqlite3.Connection]:
    """A pooled connection's sqlite3 connection, outside any transaction, as SQLite's backup needs."""
    raw = db.engine.raw_connection()
    try:
        yield raw.driver_connection
    finally:
        raw.close()


@pytest.fixture(scope="session")
def _demo_snapshots() -> dict[tuple, _DemoSnapshot]:
    return {}


@pytest.fixture
def seed_demo(app: Flask, _demo_snapshots: dict[tuple, _DemoSnapshot]) -> Callable[[], Any]:
    """seed_demo(): `flask seed-demo` into the empty database; its CLI result (exit code, output).

    The real command runs once per session for each "today" and each set of PRIMO_* settings (what the demo
    depends on); later calls copy the rows it wrote back in, with the id counters it left, and give its result.
    Seeding takes 8-30 s, the copy a fraction of a second; `test_seed_demo_builds_the_demo_company_once` runs the
    command itself.
    """
    from app.core import clock

    def seed() -> Any:
        key = (clock.now().replace(microsecond=0) if _clock_is_frozen() else clock.today(),) + tuple(
            sorted((name, repr(value)) for name, value in app.config.items() if name.startswith("PRIMO_"))
        )
        db.session.commit()  # what the test wrote so far, so that the check for empty tables sees it
        with db.engine.connect() as conn:
            empty = not _tables_holding_rows(conn)
        snapshot = _demo_snapshots.get(key) if empty else None
        if snapshot is None:
            result = app.test_cli_runner().invoke(args=["seed-demo"])
            if empty and result.exit_code == 0:
                db.session.commit()
                _demo_snapshots[key] = _DemoSnapshot(len(_demo_snapshots), result)
            return result
        snapshot.restore()
        db.session.expire_all()
        g.primo_actor_label = "seed-demo"  # as the command leaves it in the test's app context
        return snapshot.result

    return seed


def _clock_is_frozen() -> bool:
    """Whether a test stopped the clock (`frozen_time`): then the demo's timestamps are that instant's."""
    return time_machine.escape_hatch.is_travelling()


def login(client: FlaskClient, email: str, password: str = PASSWORD, next_url: str | None = None):
    token = csrf_token(client)
    path = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(path, data={"email": email, "password": password, "csrf_token": token})


def logout(client: FlaskClient):
    token = csrf_token(client, "/")
    return client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def make_store(app: Flask) -> Callable[..., Store]:
    counter = itertools.count(1)

    def make(code: str | None = None, region: str = "North", name: str | None = None) -> Store:
        number = next(counter)
        code = code or f"T{number:02d}"
        region_row = db.session.scalar(sa.select(Region).where(Region.name == region)) or Region(name=region)
        store = Store(code=code, name=name or f"Store {code}", region=region_row, opened_on=date(2020, 1, 1))
        db.session.add(store)
        db.session.commit()
        return store

    return make


@pytest.fixture
def make_employee(app: Flask) -> Callable[..., Employee]:
    counter = itertools.count(1)

    def make(store: Store, **fields: Any) -> Employee:
        number = next(counter)
        since = fields.pop("since", None)
        manages = fields.pop("manages", [])
        values: dict[str, Any] = {
            "number": f"N{number:04d}",
            "payroll_id": f"P{number:04d}",
            "first_name": f"First{number}",
            "last_name": f"Last{number}",
            "job_role": "sales_associate",
            "hire_date": date(2020, 1, 1),
            "fte": Decimal("1"),
            "annual_base_salary": Decimal("30000.00"),
            "cost_center": "CC1",
            "language": "en",
        }
        values.update(fields)
        employee = Employee(**values)
        employee.assignments.append(Assignment(store=store, start_date=since or values["hire_date"]))
        for target in manages:
            if isinstance(target, Store):
                employee.scopes.append(ManagerScope(store=target))
            else:
                employee.scopes.append(ManagerScope(region=target))
        db.session.add(employee)
        db.session.commit()
        return employee

    return make


@pytest.fixture
def make_user(app: Flask):
    def make(email: str, *roles: str, employee: Employee | None = None, password: str = PASSWORD):
        user = create_user(email, roles, password=password, employee_number=employee.number if employee else None)
        db.session.commit()
        return user

    return make


class CountingBody(io.BytesIO):
    """A request body (`input_stream=`) that remembers how far the server read it, and stays readable after."""

    furthest = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return data

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = super().readinto(buffer)
        self.furthest = max(self.furthest, self.tell())
        return n

    def close(self) -> None:  # the test client closes the body after the request
        pass


@pytest.fixture
def counting_body() -> type[CountingBody]:
    return CountingBody


@pytest.fixture
def company_settings(app: Flask) -> Callable[..., CompanySettings]:
    """Save the company settings page with the values given (the rest at their defaults), as HR would."""

    def save(**values: Any) -> CompanySettings:
        settings = save_company_settings(CompanySettings(**values))
        db.session.commit()
        return settings

    return save


@pytest.fixture
def world(make_store, make_employee, make_user) -> dict[str, Any]:
    """Two stores in two regions, a store manager and an employee in the first, a stranger in the second."""
    north = make_store("A1", region="North")
    south = make_store("B1", region="South")
    manager_emp = make_employee(north, job_role="store_manager", manages=[north], first_name="Mona")
    employee = make_employee(north, first_name="Eve")
    stranger = make_employee(south, first_name="Sam")
    users = {
        "hr": make_user("hr@test.example", "hr"),
        "manager": make_user("manager@test.example", "manager", "employee", employee=manager_emp),
        "employee": make_user("employee@test.example", "employee", employee=employee),
        "payroll": make_user("payroll@test.example", "payroll"),
    }
    return {
        "north": north,
        "south": south,
        "manager_emp": manager_emp,
        "employee": employee,
        "stranger": stranger,
        "users": users,
    }


@pytest.fixture
def client_as(app: Flask, world) -> Callable[[str], FlaskClient]:
    """A logged-in client for one of the world's roles ("anonymous" gives a fresh client)."""

    def make(role: str) -> FlaskClient:
        client = app.test_client()
        if role != "anonymous":
            response = login(client, world["users"][role].email)
            assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


@pytest.fixture
def concurrently(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., list[str]]]:
    """Start callables at the same moment, each in its own thread with its own app context, session and connection
    (a separate engine sized for them replaces the app's); return what each returned, or its exception's name."""
    engines: list[sa.Engine] = []

    def run(*attempts: Callable[[], str]) -> list[str]:
        url = db.engine.url
        options: dict[str, Any] = {"pool_size": len(attempts) + 2, "max_overflow": 0, "pool_timeout": 60}
        if url.get_backend_name() == "sqlite":
            options["connect_args"] = {"timeout": 60, "check_same_thread": False}
        engine = sa.create_engine(url, **options)
        engines.append(engine)
        db.session.commit()  # the test's own session lets go of its connection before the engine changes
        monkeypatch.setitem(db._app_engines[app], None, engine)
        start = threading.Barrier(len(attempts))

        def work(attempt: Callable[[], str]) -> str:
            with app.app_context():
                start.wait(timeout=60)
                try:
                    return attempt()
                except Exception as exc:  # the outcome is what the test compares
                    return type(exc).__name__
                finally:
                    db.session.rollback()
                    db.session.remove()

        with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
            return list(pool.map(work, attempts))

    yield run
    db.session.remove()
    for engine in engines:
        engine.dispose()


@pytest.fixture
def english(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages and CLI messages in English for users whose language nothing else decides (HR, the CLI)."""
    monkeypatch.setitem(app.config, "PRIMO_DEFAULT_LANGUAGE", "en")


# --- pages: the shared factories of tests/helpers.py, one fixture each ------------------------------------------


@pytest.fixture
def post() -> Callable[..., Any]:
    """POST a form with the CSRF token of a page the user may open: post(client, path, data, page="/")."""
    return helpers.post


@pytest.fixture
def text() -> Callable[..., str]:
    """A response's page with Babel's no-break spaces as plain ones."""
    return helpers.text


@pytest.fixture
def pdf_text() -> Callable[[bytes], str]:
    """A PDF's text as pdftotext reads it, spaces folded."""
    return helpers.pdf_text


@pytest.fixture
def client_for(app: Flask) -> Callable[[str], FlaskClient]:
    """A client logged in as the user with this e-mail address."""

    def make(email: str) -> FlaskClient:
        client = app.test_client()
        response = login(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


# --- survey answers and follow-up cases ---------------------------------------------------------------------------


@pytest.fixture
def add_month_responses(app: Flask) -> Callable[..., None]:
    """add_month_responses(store, month, nps, csat, year=2026): a month's answers in one insert."""
    return helpers.add_month_responses


@pytest.fixture
def add_responses(app: Flask) -> Callable[..., list[int]]:
    """add_responses(store, when, nps=…, csat=…, ces=…): responses answered at one moment; their ids."""
    return helpers.add_responses


@pytest.fixture
def add_worked_answers(app: Flask) -> Callable[[Store], None]:
    """add_worked_answers(store): the worked example's 2026-Q3 answers (NPS 35.0, CSAT 86.25 %, four CES)."""
    return helpers.add_worked_answers


@pytest.fixture
def add_response(app: Flask) -> Callable[..., Any]:
    """add_response(store, nps=2, consent=True, …): one response as the import stores it, with its contact."""
    return helpers.add_response


@pytest.fixture
def add_case(app: Flask) -> Callable[..., Any]:
    """add_case(response, assignee=None, status="open"): the follow-up case of a response."""
    return helpers.add_case


@pytest.fixture
def survey_row() -> Callable[..., dict[str, str]]:
    """survey_row(external_id, store="A1", **cells): one survey file row, a promoter on 15 June 2026 by default."""
    return helpers.survey_row


@pytest.fixture
def survey_csv() -> Callable[..., Any]:
    """survey_csv(path, rows, columns=ALL_COLUMNS, encoding="utf-8"): write survey rows as a CSV file; its path."""
    return helpers.write_survey_csv


# --- the worked example's scheme, store, employees and runs -----------------------------------------------------


@pytest.fixture
def example_data() -> Callable[[], dict[str, Any]]:
    """The worked example's scheme document, as a fresh dict to edit."""
    return helpers.example_data


@pytest.fixture
def import_example(app: Flask) -> Callable[..., Any]:
    """import_example(data=None): save the worked example's scheme (or an edited copy); its version."""
    return helpers.import_example


@pytest.fixture
def build_worked_example(make_store, make_employee, make_user) -> Callable[..., helpers.Worked]:
    """Build store S1 with the worked example's answers, W1 and H1, two HR users, and (unless told) the scheme."""

    def build(*, with_scheme: bool = True) -> helpers.Worked:
        return helpers.worked_example(make_store, make_employee, make_user, with_scheme=with_scheme)

    return build


@pytest.fixture
def make_run(app: Flask, runner) -> Callable[[str], Any]:
    """make_run(status): the worked example's 2026-Q3 run, computed and taken to draft, submitted or approved."""
    return lambda status: helpers.make_run(runner, status)


@pytest.fixture
def build_paid_world(make_store, make_employee, make_user, runner) -> Callable[[], dict]:
    """Build the statements' world: S1 and S2 with the worked example's answers, W1, H1, a mover, S2's manager."""
    return lambda: helpers.paid_world(make_store, make_employee, make_user, runner)


@pytest.fixture
def interessement_world(make_store, make_employee, make_user, runner, tmp_path) -> dict:
    """The second worked example's three stores, seven employees, gross pay and intéressement scheme INT-NPS."""
    return helpers.interessement_world(make_store, make_employee, make_user, runner, tmp_path)


@pytest.fixture
def interessement_run(interessement_world, runner) -> Callable[[str], int]:
    """Take INT-NPS's run of 2026-Q3 to a status (draft computed, submitted, approved) through the CLI; its id."""

    def make(status: str = "draft") -> int:
        created = runner.invoke(args=["runs", "create", "--scheme", "INT-NPS", "--period", "2026-Q3"])
        assert created.exit_code == 0, created.output
        run_id = created.output.strip().splitlines()[-1]
        steps = [["runs", "compute", run_id]]
        if status in ("submitted", "approved"):
            steps.append(["runs", "submit", run_id, "--user", "hr1@test.example"])
        if status == "approved":
            steps.append(["runs", "approve", run_id, "--user", "hr2@test.example"])
        for step in steps:
            result = runner.invoke(args=step)
            assert result.exit_code == 0, result.output
        return int(run_id)

    return make


@pytest.fixture
def paid_world(build_paid_world) -> dict:
    return build_paid_world()


@pytest.fixture
def paid_run(paid_world, make_run):
    """The worked example's run, approved by the second HR user."""
    return make_run("approved")


# --- recognition ------------------------------------------------------------------------------------------------


@pytest.fixture
def month(app: Flask) -> Callable[..., str]:
    """month(day=None): a month label ("2026-07"), the company's current month by default."""
    return helpers.month


@pytest.fixture
def give_budget(app: Flask) -> Callable[..., None]:
    """give_budget(manager, points, on=None, rollover=False): the manager's allowance for that month."""
    return helpers.give_budget


@pytest.fixture
def make_reward(app: Flask) -> Callable[..., Any]:
    return helpers.make_reward


@pytest.fixture
def make_badge(app: Flask) -> Callable[..., Any]:
    return helpers.make_badge


@pytest.fixture
def give(app: Flask) -> Callable[..., Any]:
    """give(manager_user, employee, points, on=None, message=…): an award, committed."""
    return helpers.give


@pytest.fixture
def credit(app: Flask) -> Callable[..., Any]:
    """credit(employee, points, on): points earned without a budget (an opening balance)."""
    return helpers.credit


@pytest.fixture
def set_settings(app: Flask) -> Callable[..., None]:
    """set_settings(**changes): save the recognition settings with these changes."""
    return helpers.set_settings


@pytest.fixture
def add_answer(app: Flask) -> Callable[..., Any]:
    """add_answer(store, nps=10, comment=…, employee=None, day=None): a compliment unless told otherwise."""
    return helpers.add_answer


@pytest.fixture
def bulk_responses(app: Flask) -> Callable[..., None]:
    """bulk_responses(store, day, scores): many NPS answers of one day in one insert."""
    return helpers.bulk_responses


@pytest.fixture
def resolved_case(app: Flask) -> Callable[..., Any]:
    """resolved_case(store, closed_on, assignee=None): a detractor's case resolved that day."""
    return helpers.resolved_case


@pytest.fixture
def entries(app: Flask) -> Callable[..., list]:
    """entries(employee): the employee's points ledger, oldest first, read afresh."""
    return helpers.entries


@pytest.fixture
def balance(app: Flask) -> Callable[..., int]:
    """balance(employee, as_of=None): the employee's points balance, read afresh."""
    return helpers.balance


# --- pulse surveys ------------------------------------------------------------------------------------------------


@pytest.fixture
def make_pulse(app: Flask) -> Callable[..., Any]:
    """make_pulse(stores=None, period="2026-Q3", name="Pulse", items=()): an open pulse survey (None: every store)."""
    return helpers.make_pulse


@pytest.fixture
def add_pulse_answers(app: Flask) -> Callable[..., None]:
    """add_pulse_answers(survey, store, scores, items=None): anonymous answers of one store, one per eNPS score."""
    return helpers.add_pulse_answers


# --- notifications: a real SMTP server and a queue the test drains ----------------------------------------------


class SmtpInbox:
    """What a local aiosmtpd server received, parsed back into e-mail messages."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpInbox]:
    """A real SMTP server on a local port, which the app is configured to send through (no TLS)."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "PRIMO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "PRIMO_SMTP_PORT", port)
    monkeypatch.setitem(app.config, "PRIMO_SMTP_SECURITY", "none")
    monkeypatch.setitem(app.config, "PRIMO_MAIL_SENDER", "primo@shop.example")
    yield inbox
    controller.stop()


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (an SMTP server that is down)."""
    return _free_port()


@pytest.fixture
def job_queue(app: Flask) -> Iterator[Any]:
    """An in-memory Huey queue the app enqueues into after each commit; `drain(queue)` runs what is due."""
    from app.reports import queue

    huey = queue.make_huey("memory://")
    queue.use(huey, app)
    yield huey
    queue.use(None)


@pytest.fixture
def drain() -> Callable[..., int]:
    """drain(huey, later=0): run every queued task, and scheduled retries due within `later` seconds; the count."""

    def run(huey: Any, later: float = 0) -> int:
        from datetime import timedelta

        done = 0
        while True:
            task = huey.dequeue()
            if task is None:
                # Huey keeps its schedule in naive UTC.
                due = huey.read_schedule(datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=later))
                if not due:
                    return done
                for item in due:
                    item.eta = None  # run it now: a task whose time has not come goes back to the schedule
                    huey.enqueue(item)
                continue
            huey.execute(task)
            done += 1

    return run


@pytest.fixture
def api_token(app: Flask, make_user) -> Callable[..., str]:
    """Make an integration token (by an HR user) with the scopes given; returns the bearer string."""
    from app.auth import api_tokens
    from app.auth.access import SCOPES

    def make(*scopes: str, days: int = 30, hr_email: str = "api-hr@test.example") -> str:
        from app.auth.models import User

        hr = db.session.scalar(sa.select(User).where(User.email == hr_email)) or make_user(hr_email, "hr")
        created = api_tokens.create_token("integration", scopes or SCOPES, date.today() + timedelta(days=days), hr)
        db.session.commit()
        return created.plaintext

    return make


@pytest.fixture
def api(app: Flask) -> Callable[..., Any]:
    """Call the JSON API with a bearer token: api(token, "GET", "/api/v1/…", json=…)."""

    def call(token: str | None, method: str, path: str, **kwargs: Any):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return app.test_client().open(path, method=method, headers=headers, **kwargs)

    return call


# --- outgoing webhooks: a real HTTP server that receives deliveries ---------------------------------------------


class WebhookReceiver:
    """What a local HTTP server received (headers and raw bodies); `answers` are the status codes it gives next
    (200 once they run out)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.url = ""

    def bodies(self) -> list[dict[str, Any]]:
        import json

        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def webhook_receiver(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    """A real HTTP server (http.server in a thread) on 127.0.0.1; private addresses are allowed to receive."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    receiver = WebhookReceiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/primo"
    monkeypatch.setitem(app.config, "PRIMO_WEBHOOK_ALLOW_PRIVATE", True)
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def webhook_endpoint(app: Flask, webhook_receiver: WebhookReceiver) -> Callable[..., Any]:
    """webhook_endpoint(*events): an endpoint posting to the local receiver (every event by default)."""
    from app.webhooks.services import EVENT_TYPES, create_endpoint

    def make(*events: str) -> Any:
        created = create_endpoint(webhook_receiver.url, events or EVENT_TYPES, "test receiver", "hr@test.example")
        db.session.commit()
        return created.endpoint

    return make
