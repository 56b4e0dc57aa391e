"""Settings: defaults, then `instance/config.py`, then the environment; refuses to start without a secret.

Also makes sure the compiled translations exist: without them every page and statement silently reads English.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
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
    # Unknown pulse store codes one client address may try (guessing codes is slow), and answers it may post with
    # a store code (a store's staff on the shop's Wi-Fi share one address).
    "PRIMO_PULSE_CODE_LIMIT": "30 per hour",
    "PRIMO_PULSE_ANSWER_LIMIT": "60 per hour",
    # Calls one API token may make (limits' notation); past it a 429 with Retry-After.
    "PRIMO_API_TOKEN_LIMIT": "600 per minute",
    "PRIMO_LIMITER_URL": None,  # where login counters live; unset: Redis if PRIMO_QUEUE_URL is one, else the database
    "PRIMO_PROXY_COUNT": 0,  # reverse proxies in front of Primo whose X-Forwarded-For/-Proto are trusted
    "PRIMO_SESSION_IDLE_HOURS": 8,
    "PRIMO_SESSION_MAX_DAYS": 7,
    "PRIMO_RESET_LINK_HOURS": 72,
    "PRIMO_PAGE_SIZE": 25,
    "PRIMO_MIN_RESPONSES": 30,
    "PRIMO_CONTACT_RETENTION_DAYS": 90,
    "PRIMO_ALLOW_ADVANCE_RUNS": False,
    # Anomaly flags: this many answers for one store within this many minutes is a burst; one contact or device
    # answering this many times in a month is flagged.
    "PRIMO_FLAG_BURST_COUNT": 8,
    "PRIMO_FLAG_BURST_MINUTES": 10,
    "PRIMO_FLAG_REPEAT_COUNT": 3,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which logout invalidates
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "BABEL_TRANSLATION_DIRECTORIES": "translations",
    # Until HR saves the company settings page, whether managers may read their team's bonus statements.
    "PRIMO_MANAGERS_READ_STATEMENTS": False,
    # E-mail (app/notify/mail.py): no host, no e-mail; the password only ever comes from the environment.
    "PRIMO_SMTP_HOST": None,
    "PRIMO_SMTP_PORT": None,  # unset: 25, 587 or 465 after PRIMO_SMTP_SECURITY
    "PRIMO_SMTP_SECURITY": "starttls",
    "PRIMO_SMTP_USER": None,
    "PRIMO_MAIL_SENDER": None,
    # Outgoing webhooks: seconds a receiver has to connect and answer; whether private addresses may receive them.
    "PRIMO_WEBHOOK_TIMEOUT": 5,
    "PRIMO_WEBHOOK_ALLOW_PRIVATE": False,
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
    "PRIMO_API_TOKEN_LIMIT": "PRIMO_API_TOKEN_LIMIT",
    "PRIMO_LIMITER_URL": "PRIMO_LIMITER_URL",
    "PRIMO_PULSE_CODE_LIMIT": "PRIMO_PULSE_CODE_LIMIT",
    "PRIMO_PULSE_ANSWER_LIMIT": "PRIMO_PULSE_ANSWER_LIMIT",
    "PRIMO_PROXY_COUNT": "PRIMO_PROXY_COUNT",
    "PRIMO_SESSION_IDLE_HOURS": "PRIMO_SESSION_IDLE_HOURS",
    "PRIMO_SESSION_MAX_DAYS": "PRIMO_SESSION_MAX_DAYS",
    "PRIMO_ALLOW_ADVANCE_RUNS": "PRIMO_ALLOW_ADVANCE_RUNS",
    "PRIMO_MANAGERS_READ_STATEMENTS": "PRIMO_MANAGERS_READ_STATEMENTS",
    "PRIMO_FLAG_BURST_COUNT": "PRIMO_FLAG_BURST_COUNT",
    "PRIMO_FLAG_BURST_MINUTES": "PRIMO_FLAG_BURST_MINUTES",
    "PRIMO_FLAG_REPEAT_COUNT": "PRIMO_FLAG_REPEAT_COUNT",
    "PRIMO_SMTP_HOST": "PRIMO_SMTP_HOST",
    "PRIMO_SMTP_PORT": "PRIMO_SMTP_PORT",
    "PRIMO_SMTP_SECURITY": "PRIMO_SMTP_SECURITY",
    "PRIMO_SMTP_USER": "PRIMO_SMTP_USER",
    "PRIMO_SMTP_PASSWORD": "PRIMO_SMTP_PASSWORD",
    "PRIMO_MAIL_SENDER": "PRIMO_MAIL_SENDER",
    "PRIMO_WEBHOOK_TIMEOUT": "PRIMO_WEBHOOK_TIMEOUT",
    "PRIMO_WEBHOOK_ALLOW_PRIVATE": "PRIMO_WEBHOOK_ALLOW_PRIVATE",
}
SWITCHES = {
    "SESSION_COOKIE_SECURE",
    "PRIMO_ALLOW_ADVANCE_RUNS",
    "PRIMO_MANAGERS_READ_STATEMENTS",
    "PRIMO_WEBHOOK_ALLOW_PRIVATE",
}
INTEGERS = {
    "PRIMO_MIN_RESPONSES",
    "PRIMO_CONTACT_RETENTION_DAYS",
    "PRIMO_LOGIN_MAX_FAILURES",
    "PRIMO_LOGIN_WINDOW_MINUTES",
    "PRIMO_LOGIN_ACCOUNT_FAILURES",
    "PRIMO_PROXY_COUNT",
    "PRIMO_SESSION_IDLE_HOURS",
    "PRIMO_SESSION_MAX_DAYS",
    "PRIMO_FLAG_BURST_COUNT",
    "PRIMO_FLAG_BURST_MINUTES",
    "PRIMO_FLAG_REPEAT_COUNT",
    "PRIMO_SMTP_PORT",
    "PRIMO_WEBHOOK_TIMEOUT",
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
                value = value.lower() in ("1", "true", "yes", "on")
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
    if app.config.get("PRIMO_SMTP_SECURITY") not in ("none", "starttls", "tls"):
        raise ConfigError("PRIMO_SMTP_SECURITY must be none, starttls or tls")
    currency = app.config["PRIMO_CURRENCY"]
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise ConfigError(f"PRIMO_CURRENCY must be an ISO 4217 code such as EUR, not {currency!r}")


def translation_directories(app: Flask) -> list[Path]:
    """The folders Flask-Babel reads catalogues from (BABEL_TRANSLATION_DIRECTORIES, relative to the app)."""
    return [Path(app.root_path) / d for d in str(app.config["BABEL_TRANSLATION_DIRECTORIES"]).split(";") if d]


def compile_translations(app: Flask) -> list[Path]:
    """Compile every catalogue whose `.mo` is missing or older than its `.po`; return the files written.

    Stops start-up with a clear message when one cannot be written (a read-only install), rather than serve
    English pages and store English statements of record.
    """
    written = []
    for directory in translation_directories(app):
        for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
            mo = po.with_suffix(".mo")
            if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            buffer = io.BytesIO()
            write_mo(buffer, catalog, use_fuzzy=True)  # as `pybabel compile -f` in scripts/run and scripts/test
            # Several workers may start at once: each writes its own file, then swaps it in whole.
            partial = mo.with_name(f".{mo.name}.{os.getpid()}")
            try:
                partial.write_bytes(buffer.getvalue())
                os.replace(partial, mo)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise ConfigError(
                    f"the compiled translations {mo} are missing or older than {po.name} and cannot be written "
                    f"({exc.strerror or exc}): run `pybabel compile -f -d {directory}` as the owner of the files, "
                    "then start again"
                ) from None
            written.append(mo)
    return written
