"""Start-up settings, the migrations that build the schema, and the demo seed."""

from __future__ import annotations

import os
import shutil
from datetime import date
from gettext import GNUTranslations
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.auth.models import User
from app.config import ConfigError, database_uri
from app.extensions import db
from app.org.models import Assignment, Employee, Region, Store
from tests.conftest import MID_QUARTER


@pytest.fixture(autouse=True)
def empty_instance(monkeypatch, tmp_path):
    """Keep the developer's instance/config.py out of these tests."""
    monkeypatch.setenv("PRIMO_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in (
        "SECRET_KEY",
        "DATABASE_URL",
        "PRIMO_TIMEZONE",
        "PRIMO_CURRENCY",
        "PRIMO_DEFAULT_LANGUAGE",
        "PRIMO_MANAGERS_READ_STATEMENTS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_instance_config_file_is_read(tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "config.py").write_text("SECRET_KEY = 'from-file'\nPRIMO_CURRENCY = 'CHF'\n")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["PRIMO_CURRENCY"] == "CHF"


def test_start_up_stops_without_a_secret_key(monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})


def test_an_unknown_time_zone_stops_start_up(monkeypatch, tmp_path):
    monkeypatch.setenv("PRIMO_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="PRIMO_TIMEZONE"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite")
    monkeypatch.setenv("PRIMO_TIMEZONE", "America/Montreal")
    monkeypatch.setenv("PRIMO_CURRENCY", "CAD")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")
    assert app.config["PRIMO_TIMEZONE"] == "America/Montreal"
    assert app.config["PRIMO_CURRENCY"] == "CAD"


def test_without_database_url_the_database_is_a_file_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/primo.sqlite"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
    ],
)
def test_postgresql_urls_use_psycopg_3(given, used):
    assert database_uri(given) == used


def test_the_migrations_build_exactly_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_database_is_at_the_latest_migration(app):
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    migrations = Path(app.root_path).parent / "migrations"
    config = Config(str(migrations / "alembic.ini"))
    config.set_main_option("script_location", str(migrations))
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    assert current == ScriptDirectory.from_config(config).get_current_head()


def test_seed_demo_builds_the_demo_company_once(runner, frozen_time):
    frozen_time(MID_QUARTER)  # the demo's hire in the middle of the quarter is dated from today
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "primo-demo" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Store)) == 12
    employees = db.session.scalar(sa.select(sa.func.count()).select_from(Employee))
    assert 140 <= employees <= 170
    emails = set(db.session.scalars(sa.select(User.email)))
    assert emails == {
        "hr@example.com",
        "hr2@example.com",
        "manager@example.com",
        "regional@example.com",
        "employee@example.com",
        "payroll@example.com",
        "staff@example.com",  # an associate without e-mail, who reads notices on their home page
    }
    # One transfer, one part-timer, one mid-period hire.
    moved = db.session.scalars(
        sa.select(Assignment.employee_id).group_by(Assignment.employee_id).having(sa.func.count() > 1)
    ).all()
    assert len(moved) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Employee).where(Employee.fte < 1)) == 1
    hires = db.session.scalar(
        sa.select(sa.func.count()).select_from(Employee).where(Employee.hire_date > date(2026, 7, 1))
    )
    assert hires >= 1
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Employee)) == employees


def test_demo_manager_manages_the_demo_employees_store(seed_demo):
    seed_demo()
    manager = db.session.scalar(sa.select(User).where(User.email == "manager@example.com")).employee
    employee = db.session.scalar(sa.select(User).where(User.email == "employee@example.com")).employee
    regional = db.session.scalar(sa.select(User).where(User.email == "regional@example.com")).employee
    store = employee.latest_assignment.store
    assert [s.store for s in manager.scopes] == [store]
    assert [s.region for s in regional.scopes] == [store.region]


def test_numeric_settings_from_the_environment_are_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/n.sqlite")
    monkeypatch.setenv("PRIMO_MIN_RESPONSES", "50")
    monkeypatch.setenv("PRIMO_CONTACT_RETENTION_DAYS", "30")
    app = create_app()
    assert (app.config["PRIMO_MIN_RESPONSES"], app.config["PRIMO_CONTACT_RETENTION_DAYS"]) == (50, 30)
    monkeypatch.setenv("PRIMO_MIN_RESPONSES", "lots")
    with pytest.raises(ConfigError, match="PRIMO_MIN_RESPONSES"):
        create_app()


def test_the_bulk_load_migration_keeps_batches_and_contacts(tmp_path, monkeypatch):
    """Upgrading a database that holds imports gives each batch the id range of its responses and keys each
    contact by its response (SQLite; the same SQL was run by hand on PostgreSQL, up, down and up)."""
    from flask_migrate import downgrade, upgrade

    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "test")
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with old.app_context():
        upgrade(revision="f4f905851cdc")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO regions (id, name) VALUES (1, 'North')")
            conn.exec_driver_sql("INSERT INTO stores (id, code, name, region_id) VALUES (1, 'A1', 'A', 1)")
            for batch in (1, 2):
                conn.exec_driver_sql(
                    "INSERT INTO import_batches (id, source, filename, created_by, created_at, rows_inserted, "
                    f"rows_skipped) VALUES ({batch}, 'import', 'f.csv', 'hr', '2026-01-01 00:00:00.000000', 2, 0)"
                )
            for rid, batch in ((1, 1), (2, 2), (3, 1), (4, None)):
                conn.exec_driver_sql(
                    "INSERT INTO survey_responses (id, source, external_id, batch_id, store_id, answered_at, "
                    "local_date, local_month, channel, nps, contact_consent, excluded) VALUES "
                    f"({rid}, 'import', 'r{rid}', {batch or 'NULL'}, 1, '2026-01-05 10:00:00.000000', "
                    "'2026-01-05', 202601, 'email', 9, 1, 0)"
                )
            conn.exec_driver_sql(
                "INSERT INTO response_contacts (id, response_id, customer_name, purge_after) "
                "VALUES (7, 3, 'Ada', '2026-04-05')"
            )
        upgrade()
        with db.engine.connect() as conn:
            ranges = conn.exec_driver_sql(
                "SELECT id, first_response_id, last_response_id FROM import_batches ORDER BY id"
            ).all()
            contacts = conn.exec_driver_sql("SELECT response_id, customer_name FROM response_contacts").all()
        assert [tuple(r) for r in ranges] == [(1, 1, 3), (2, 2, 2)]
        assert [tuple(c) for c in contacts] == [(3, "Ada")]
        downgrade(revision="f4f905851cdc")
        with db.engine.connect() as conn:
            back = conn.exec_driver_sql("SELECT id, response_id, customer_name FROM response_contacts").all()
        assert [tuple(c) for c in back] == [(3, 3, "Ada")]
        db.engine.dispose()


TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"


def _translations_without_mo(tmp_path: Path) -> Path:
    """A copy of the translations folder as a fresh clone has it: catalogues, no compiled files."""
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, folder, ignore=shutil.ignore_patterns("*.mo"))
    return folder


def _app_reading(folder: Path, tmp_path: Path):
    return create_app(
        {
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
            "BABEL_TRANSLATION_DIRECTORIES": str(folder),
        }
    )


def _french(mo: Path, message: str) -> str:
    with mo.open("rb") as handle:
        return GNUTranslations(handle).gettext(message)


def test_start_up_compiles_missing_translations(tmp_path):
    folder = _translations_without_mo(tmp_path)
    mo = folder / "fr" / "LC_MESSAGES" / "messages.mo"
    assert not mo.exists()
    _app_reading(folder, tmp_path)
    assert _french(mo, "Log out") == "Se déconnecter"
    assert _french(mo, "Bonus statement") == "Relevé de prime"


def test_start_up_compiles_translations_older_than_their_catalogue_again(tmp_path):
    folder = _translations_without_mo(tmp_path)
    mo = folder / "fr" / "LC_MESSAGES" / "messages.mo"
    mo.write_bytes(b"stale")
    os.utime(mo, (0, 0))
    _app_reading(folder, tmp_path)
    assert _french(mo, "Log out") == "Se déconnecter"
    written = mo.stat().st_mtime
    _app_reading(folder, tmp_path)  # up to date now: left alone
    assert mo.stat().st_mtime == written


def test_start_up_stops_when_translations_are_missing_and_cannot_be_written(tmp_path):
    folder = _translations_without_mo(tmp_path)
    (folder / "fr" / "LC_MESSAGES" / "messages.mo").mkdir()  # something in the way, as a read-only install is
    with pytest.raises(ConfigError, match=r"messages.mo are missing or older than messages.po and cannot be written"):
        _app_reading(folder, tmp_path)
    assert sorted(p.name for p in (folder / "fr" / "LC_MESSAGES").iterdir()) == ["messages.mo", "messages.po"]


def test_managers_read_statements_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PRIMO_MANAGERS_READ_STATEMENTS", "1")
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    assert app.config["PRIMO_MANAGERS_READ_STATEMENTS"] is True
    monkeypatch.setenv("PRIMO_MANAGERS_READ_STATEMENTS", "no")
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    assert app.config["PRIMO_MANAGERS_READ_STATEMENTS"] is False
