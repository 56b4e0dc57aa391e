"""Settings: defaults, then `instance/config.py`, then the environment; refuses to start without a secret."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

LANGUAGES = ("fr", "en")

DEFAULTS: dict[str, Any] = {
    "PRIMO_TIMEZONE": "Europe/Paris",
    "PRIMO_CURRENCY": "EUR",
    "PRIMO_DEFAULT_LANGUAGE": "fr",
    "PRIMO_COMPANY_NAME": "Primo demo company",
    "PRIMO_LOGIN_MAX_FAILURES": 5,
    "PRIMO_LOGIN_WINDOW_MINUTES": 15,
    # Failures on one account from every address within the window after which each address gets one try at it.
    "PRIMO_LOGIN_ACCOUNT_FAILURES": 20,
    # Failed logins one client address may make, whatever the accounts (limits' notation).
    "PRIMO_LOGIN_CLIENT_LIMIT": "20 per 10 minutes",
    "PRIMO_LIMITER_URL": None,  # where login counters live; unset: Redis if PRIMO_QUEUE_URL is one, else the database
    "PRIMO_PROXY_COUNT": 0,  # reverse proxies in front of Primo whose X-Forwarded-For/-Proto are trusted
    "PRIMO_SESSION_IDLE_HOURS": 8,
    "PRIMO_SESSION_MAX_DAYS": 7,
    "PRIMO_RESET_LINK_HOURS": 72,
    "PRIMO_PAGE_SIZE": 25,
    "PRIMO_MIN_RESPONSES": 30,
    "PRIMO_CONTACT_RETENTION_DAYS": 90,
    "PRIMO_ALLOW_ADVANCE_RUNS": False,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which logout invalidates
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "BABEL_TRANSLATION_DIRECTORIES": "translations",
}

ENVIRONMENT = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "PRIMO_TIMEZONE": "PRIMO_TIMEZONE",
    "PRIMO_CURRENCY": "PRIMO_CURRENCY",
    "PRIMO_DEFAULT_LANGUAGE": "PRIMO_DEFAULT_LANGUAGE",
    "PRIMO_COMPANY_NAME": "PRIMO_COMPANY_NAME",
    "SESSION_COOKIE_SECURE": "SESSION_COOKIE_SECURE",
    "PRIMO_MIN_RESPONSES": "PRIMO_MIN_RESPONSES",
    "PRIMO_CONTACT_RETENTION_DAYS": "PRIMO_CONTACT_RETENTION_DAYS",
    "PRIMO_LOGO": "PRIMO_LOGO",
    "PRIMO_LOGIN_MAX_FAILURES": "PRIMO_LOGIN_MAX_FAILURES",
    "PRIMO_LOGIN_WINDOW_MINUTES": "PRIMO_LOGIN_WINDOW_MINUTES",
    "PRIMO_LOGIN_ACCOUNT_FAILURES": "PRIMO_LOGIN_ACCOUNT_FAILURES",
    "PRIMO_LOGIN_CLIENT_LIMIT": "PRIMO_LOGIN_CLIENT_LIMIT",
    "PRIMO_LIMITER_URL": "PRIMO_LIMITER_URL",
    "PRIMO_PROXY_COUNT": "PRIMO_PROXY_COUNT",
    "PRIMO_SESSION_IDLE_HOURS": "PRIMO_SESSION_IDLE_HOURS",
    "PRIMO_SESSION_MAX_DAYS": "PRIMO_SESSION_MAX_DAYS",
    "PRIMO_ALLOW_ADVANCE_RUNS": "PRIMO_ALLOW_ADVANCE_RUNS",
}
SWITCHES = {"SESSION_COOKIE_SECURE", "PRIMO_ALLOW_ADVANCE_RUNS"}
INTEGERS = {
    "PRIMO_MIN_RESPONSES",
    "PRIMO_CONTACT_RETENTION_DAYS",
    "PRIMO_LOGIN_MAX_FAILURES",
    "PRIMO_LOGIN_WINDOW_MINUTES",
    "PRIMO_LOGIN_ACCOUNT_FAILURES",
    "PRIMO_PROXY_COUNT",
    "PRIMO_SESSION_IDLE_HOURS",
    "PRIMO_SESSION_MAX_DAYS",
}


class ConfigError(RuntimeError):
    """A setting that is missing or wrong: start-up stops with its message."""


def database_uri(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs, whatever driver the URL names."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill `app.config` from defaults, the instance file, the environment and explicit overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for env_name, key in ENVIRONMENT.items():
        if os.environ.get(env_name):
            value: Any = os.environ[env_name]
            if key in SWITCHES:
                value = value.lower() in ("1", "true", "yes")
            elif key in INTEGERS:
                if not value.isdigit():
                    raise ConfigError(f"{env_name} must be a whole number, not {value!r}")
                value = int(value)
            app.config[key] = value
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "primo.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app.config["SQLALCHEMY_DATABASE_URI"])
    check(app)


def check(app: Flask) -> None:
    """Stop start-up with a clear message when a required setting is missing or invalid."""
    if not app.config.get("SECRET_KEY"):
        raise ConfigError(
            "SECRET_KEY is not set: export SECRET_KEY=… or put SECRET_KEY = '…' in "
            f"{Path(app.instance_path) / 'config.py'} (scripts/run writes a random one on first run)."
        )
    try:
        ZoneInfo(app.config["PRIMO_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"PRIMO_TIMEZONE {app.config['PRIMO_TIMEZONE']!r} is not a known time zone") from None
    if app.config["PRIMO_DEFAULT_LANGUAGE"] not in LANGUAGES:
        raise ConfigError(f"PRIMO_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    currency = app.config["PRIMO_CURRENCY"]
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise ConfigError(f"PRIMO_CURRENCY must be an ISO 4217 code such as EUR, not {currency!r}")
