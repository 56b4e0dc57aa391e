"""Unbound Flask extensions, initialised in `create_app`."""

import sqlite3
from typing import Any

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def insert_unless_taken(model: type[Base], values: dict[str, Any], keys: list[str]) -> int | None:
    """Insert a row unless its unique key (`keys`) is taken: the new id, or None when it was (one statement,
    so two transactions racing for the same key never both insert it)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite_dialect.insert
    table = model.__table__
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=keys).returning(table.c.id)
    # RETURNING rather than rowcount: a skipped row's rowcount is not reliable on every driver.
    return db.session.execute(statement).scalar()


@event.listens_for(Engine, "connect")
def _enforce_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    """SQLite leaves foreign keys (and their ON DELETE rules) unchecked unless each connection asks for them."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys = ON")


# Limits and their storage are set in app/auth/limiting.py: failed logins, pulse survey store codes, API tokens.
limiter = Limiter(key_func=get_remote_address)
