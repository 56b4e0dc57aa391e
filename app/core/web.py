"""Request plumbing: access enforcement, session-token check, security headers, error pages, locale."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from app.auth.access import AUTHENTICATED, PUBLIC, declared
from app.auth.limiting import seconds_until_reset
from app.auth.models import User
from app.auth.sessions import session_is_current, session_language
from app.config import LANGUAGES
from app.extensions import babel, db, login_manager

PAY_FREE_ENDPOINTS = {"static"}


def load_user(user_id: str) -> User | None:
    """Find the user a session cookie names, while its session token is current and the session has not run out."""
    raw_id, _sep, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or user.session_token != token:
        return None
    if not session_is_current():  # idle too long, or open longer than the absolute lifetime
        return None
    return user


def is_api() -> bool:
    return request.path.startswith("/api/")


def unauthorized():
    if is_api():
        return jsonify(error="authentication required"), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def check_declared_access(app: Flask) -> None:
    """Refuse to start if any view forgot to say who may use it."""
    missing = [
        endpoint for endpoint, view in app.view_functions.items() if endpoint != "static" and declared(view) is None
    ]
    if missing:
        raise RuntimeError(f"routes without an access declaration: {', '.join(sorted(missing))}")


def enforce_access():
    """Apply the view's declared access before it runs: 302/401 for strangers, 403 for the wrong role."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    who = declared(view) if view else None
    if who is None:  # unreachable thanks to check_declared_access, but never fail open
        return _error_response(403)
    if PUBLIC in who:
        return None
    if not current_user.is_authenticated:
        return unauthorized()
    if AUTHENTICATED in who:
        return None
    if not current_user.roles.intersection(who):
        return _error_response(403)
    return None


def security_headers(response):
    """Add the headers every response carries; pages behind a login are never cached."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint not in PAY_FREE_ENDPOINTS:
        # Any signed-in page may show pay, and the login page must not be replayed from cache either.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _error_response(code: int, description: str | None = None):
    messages = {
        400: _("The request could not be understood."),
        403: _("You are not allowed to see this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        409: _("This cannot be changed in its current state."),
        413: _("The file is too large."),
        429: _("Too many attempts. Try again later."),
        500: _("Something went wrong on our side. Nothing was saved."),
    }
    message = description or messages.get(code, "")
    if is_api():
        return jsonify(error=message), code
    return render_template("errors/error.html", code=code, message=message), code


def handle_http_error(exc: HTTPException):
    code = exc.code or 500
    if code == 401:
        return unauthorized()
    if isinstance(exc, RateLimitExceeded):
        return too_many_requests()
    description = exc.description if getattr(exc, "primo_message", False) else None
    return _error_response(code, description)


def too_many_requests():
    """The error page for a broken rate limit, saying when to come back (Retry-After, in seconds)."""
    seconds = seconds_until_reset()
    message = ngettext(
        "Too many attempts from your address. Try again in %(num)d minute.",
        "Too many attempts from your address. Try again in %(num)d minutes.",
        -(-seconds // 60),
    )
    body, code = _error_response(429, message)
    return body, code, {"Retry-After": str(seconds)}


def handle_server_error(exc: Exception):
    db.session.rollback()
    current_app.logger.exception("unhandled error on %s", request.path)
    return _error_response(500)


def select_locale() -> str:
    """The user's choice (saved, else made on this browser), their employee record's, the browser's, the default."""
    user = current_user if current_user and current_user.is_authenticated else None
    if user is not None and user.language in LANGUAGES:
        return user.language
    if session_language() in LANGUAGES:
        return session_language()
    if user is not None and user.employee is not None and user.employee.language in LANGUAGES:
        return user.employee.language
    best = request.accept_languages.best_match(LANGUAGES) if request else None
    return best or current_app.config["PRIMO_DEFAULT_LANGUAGE"]


def select_timezone() -> str:
    return current_app.config["PRIMO_TIMEZONE"]


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.session_protection = "basic"
    app.before_request(enforce_access)
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_server_error)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    @app.context_processor
    def inject():
        from app.auth.forms import ActionForm
        from app.core import formatting

        return {
            "action_form": ActionForm,
            "fmt": formatting,
            "company_name": current_app.config["PRIMO_COMPANY_NAME"],
        }

    @app.teardown_appcontext
    def forget(_exc):
        g.pop("primo_actor", None)


def scalar_count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
