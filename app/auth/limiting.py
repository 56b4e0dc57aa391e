"""Rate limits on logging in (Flask-Limiter), their counters in Primo's database or Redis, and the client address.

Every web process must see the same counters, so the default storage is the `rate_limits` table of Primo's own
database (`primo-db://`, registered with `limits` below); a Redis URL in `PRIMO_LIMITER_URL` or `PRIMO_QUEUE_URL`
puts them in Redis instead.
"""

from __future__ import annotations

import os
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, request
from flask.wrappers import Response
from limits import parse_many
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from app.auth.models import RateLimitCounter
from app.config import ConfigError
from app.extensions import db, limiter

SCHEME = "primo-db"
REDIS_SCHEMES = ("redis://", "rediss://")
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class DatabaseStorage(Storage):
    """Fixed-window counters in the `rate_limits` table, each change in a transaction of its own.

    Every call takes its own connection from the engine's pool and commits at once, so a counter is never part of
    (nor rolled back with) the request's transaction; on SQLite it waits for the write lock like any writer, which
    is why the limiter counts before the view writes and after it commits. An increment is one
    `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement, atomic on PostgreSQL and SQLite alike; the row of a
    window that has ended starts again at the increment, and opening a new window sweeps away every ended one.
    """

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, engine: Engine | None = None, **_: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._engine = engine

    @property
    def engine(self) -> Engine:
        # Without an engine of its own, the storage uses the current application's (one per app, per process).
        return self._engine if self._engine is not None else db.engine

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int | float, amount: int = 1) -> int:
        """Add `amount` to a key's counter, opening a window of `expiry` seconds if none is open; give the count."""
        table = RateLimitCounter.__table__
        now = time.time()
        engine = self.engine
        insert = _INSERTS[engine.dialect.name]  # init_app refused any other database
        ended = table.c.expires_at <= now
        statement = (
            insert(table)
            .values(key=key, count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": sa.case((ended, amount), else_=table.c.count + amount),
                    "expires_at": sa.case((ended, now + expiry), else_=table.c.expires_at),
                },
            )
            .returning(table.c.count)
        )
        with engine.begin() as conn:
            count = conn.execute(statement).scalar_one()
            if count == amount:
                conn.execute(sa.delete(table).where(table.c.expires_at <= now))
        return count

    def _live(self, column: sa.ColumnElement[Any], key: str) -> Any:
        table = RateLimitCounter.__table__
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(column).where(table.c.key == key, table.c.expires_at > time.time()))

    def get(self, key: str) -> int:
        """The count in a key's open window (0 when none is open)."""
        return self._live(RateLimitCounter.__table__.c.count, key) or 0

    def get_expiry(self, key: str) -> float:
        """When a key's open window ends, in seconds since the epoch (now when none is open)."""
        return self._live(RateLimitCounter.__table__.c.expires_at, key) or time.time()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.select(1))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter."""
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(RateLimitCounter.__table__)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        table = RateLimitCounter.__table__
        with self.engine.begin() as conn:
            conn.execute(sa.delete(table).where(table.c.key == key))


def storage_uri(config: dict[str, Any]) -> str:
    """Where the counters live: PRIMO_LIMITER_URL, else a Redis PRIMO_QUEUE_URL, else Primo's database."""
    if config.get("PRIMO_LIMITER_URL"):
        return config["PRIMO_LIMITER_URL"]
    queue = os.environ.get("PRIMO_QUEUE_URL") or config.get("PRIMO_QUEUE_URL") or ""
    if queue.startswith(REDIS_SCHEMES):
        return queue
    return f"{SCHEME}://"


def client_address() -> str:
    """The client's address, as the trusted proxies (PRIMO_PROXY_COUNT) reported it."""
    return request.remote_addr or "unknown"


def login_client_limit() -> str:
    return current_app.config["PRIMO_LOGIN_CLIENT_LIMIT"]


def pulse_code_limit() -> str:
    return current_app.config["PRIMO_PULSE_CODE_LIMIT"]


def pulse_answer_limit() -> str:
    return current_app.config["PRIMO_PULSE_ANSWER_LIMIT"]


def unknown_code(response: Response) -> bool:
    """Whether a store-code page counts as a guess: the code opened nothing."""
    return response.status_code == 404


def answer_taken(response: Response) -> bool:
    """Whether a store-code answer counts against the address: it was recorded (the redirect after it)."""
    return response.status_code == 302


def api_token_limit() -> str:
    return current_app.config["PRIMO_API_TOKEN_LIMIT"]


def api_token_key() -> str:
    """Count API calls per token (the access check found it before the limiter runs)."""
    token = g.get("api_token")
    return f"api-token:{token.id}" if token is not None else f"api-client:{client_address()}"


def failed_login(response: Response) -> bool:
    """Whether a login answer counts against the client: anything but the redirect of a successful login."""
    return response.status_code != 302


def seconds_until_reset() -> int:
    """Seconds until the rate limit this request broke lets the client try again (at least 1)."""
    breached = limiter.current_limit
    if breached is None:
        return 1
    return max(1, int(breached.reset_at - time.time()))


def init_app(app: Flask) -> None:
    """Check the limits, pick the counters' storage and bind Flask-Limiter to the application."""
    config = app.config
    for name, example in (
        ("PRIMO_LOGIN_CLIENT_LIMIT", "20 per 10 minutes"),
        ("PRIMO_API_TOKEN_LIMIT", "600 per minute"),
        ("PRIMO_PULSE_CODE_LIMIT", "30 per hour"),
        ("PRIMO_PULSE_ANSWER_LIMIT", "60 per hour"),
    ):
        try:
            parse_many(config[name])
        except ValueError:
            raise ConfigError(f"{name} must read like '{example}', not {config[name]!r}") from None
    uri = config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(config))
    in_database = uri.startswith(f"{SCHEME}:")
    if in_database and sa.engine.make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() not in _INSERTS:
        raise ConfigError("rate-limit counters need PostgreSQL or SQLite; set PRIMO_LIMITER_URL=redis://… otherwise")
    config.setdefault("RATELIMIT_KEY_PREFIX", "primo")
    # If Redis goes away, each process keeps limiting on its own rather than letting everything through (without
    # the database nothing works anyway, so its counters need no fallback).
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", not in_database)
    limiter.init_app(app)
