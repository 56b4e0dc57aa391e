"""How long a login lasts: an idle timeout and an absolute lifetime, kept in the signed session cookie.

The cookie carries when the session was opened and when it was last seen; both are checked on every request that
loads the user. Last-seen is rewritten at most every `SEEN_REFRESH_SECONDS`, so an active user's cookie changes
now and then rather than on each request, and nothing is written to the database.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, current_app, has_request_context, session
from flask_login import login_user

from app.auth.models import User
from app.config import ConfigError

LOGIN_AT = "primo_login_at"
SEEN_AT = "primo_seen_at"
EXPIRED = "primo_session_expired"
LANGUAGE = "language"  # a language chosen on this browser (see app/core/web.py: select_locale)
SEEN_REFRESH_SECONDS = 5 * 60


def init_app(app: Flask) -> None:
    """Keep Flask-Login's remember cookie and Flask's permanent session within the absolute lifetime."""
    for name in ("PRIMO_SESSION_IDLE_HOURS", "PRIMO_SESSION_MAX_DAYS"):
        if not isinstance(app.config[name], int) or app.config[name] < 1:
            raise ConfigError(f"{name} must be a whole number of at least 1, not {app.config[name]!r}")
    lifetime = timedelta(days=app.config["PRIMO_SESSION_MAX_DAYS"])
    app.config["REMEMBER_COOKIE_DURATION"] = lifetime
    app.config["PERMANENT_SESSION_LIFETIME"] = lifetime


def start_session(user: User) -> None:
    """Log a user in on a fresh session (nothing set before carries over but the language chosen here)."""
    end_session()
    login_user(user)
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


def end_session() -> None:
    """Forget everything in this browser's session but the language chosen on it."""
    language = session.get(LANGUAGE)
    session.clear()
    if language:
        session[LANGUAGE] = language


def session_language() -> str | None:
    """The language chosen in this browser session (on the login page, while logged out), if any."""
    return session.get(LANGUAGE) if has_request_context() else None


def session_is_current() -> bool:
    """Whether this session is within its idle timeout and absolute lifetime; refresh last-seen when due.

    A session that has run out is emptied and marked, so that the login page can say why the user must log in
    again. A session without the timestamps (opened before they existed, or rebuilt from a remember cookie) has
    no lifetime to check and counts as run out.
    """
    config = current_app.config
    now = time.time()
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if (
        not isinstance(login_at, int)
        or not isinstance(seen_at, int)
        or now - login_at > config["PRIMO_SESSION_MAX_DAYS"] * 86400
        or now - seen_at > config["PRIMO_SESSION_IDLE_HOURS"] * 3600
    ):
        end_session()
        session[EXPIRED] = True
        return False
    if now - seen_at >= SEEN_REFRESH_SECONDS:
        session[SEEN_AT] = int(now)
    return True
