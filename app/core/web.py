"""Request plumbing: access enforcement, session-token check, security headers, error pages, locale."""

from __future__ import annotations

import io
from typing import NoReturn

import sqlalchemy as sa
from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from sqlalchemy.exc import DataError
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import IntegerConverter

from app.auth import api_tokens
from app.auth.access import AUTHENTICATED, PUBLIC, TOKEN, declared, required_scopes
from app.auth.limiting import seconds_until_reset
from app.auth.models import User
from app.auth.sessions import session_is_current, session_language
from app.config import LANGUAGES
from app.extensions import babel, db, login_manager
from app.periods import FIRST_YEAR, LAST_YEAR, PeriodError

PAY_FREE_ENDPOINTS = {"static"}
# The largest id or page number a URL may carry: beyond it SQLite cannot bind the number (OverflowError, a 500).
LARGEST_INTEGER = 2**63 - 1
LARGEST_PAGE = 2**31 - 1  # times any page size, still an OFFSET both databases accept
DRAIN_FACTOR = 4  # a body refused for its size is still read (and dropped) up to this many times the limit
# Query arguments that carry ids (`?store=3`); a page may ignore a value that is not a number.
ID_ARGUMENTS = ("store", "region", "run", "version")


def load_user(user_id: str) -> User | None:
    """Find the user a session cookie names, while its session token is current and the session has not run out."""
    raw_id, _sep, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    # One query for what every page reads: the roles (access, navigation) and the employee record (locale, notices).
    user = db.session.get(User, int(raw_id), options=[joinedload(User.role_rows), joinedload(User.employee)])
    if user is None or not user.active or user.session_token != token:
        return None
    if not session_is_current():  # idle too long, or open longer than the absolute lifetime
        return None
    return user


def is_api() -> bool:
    return request.path.startswith("/api/")


def is_json_api() -> bool:
    """Whether the request is for the JSON API (`/api/v1`), whose errors are `application/problem+json`."""
    return request.path == "/api/v1" or request.path.startswith("/api/v1/")


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extra: object):
    """An RFC 9457 problem document: the status, its title and what was wrong."""
    body = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status, "detail": detail}
    response = jsonify({**body, **extra})
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.update(headers or {})
    return response


def unauthorized():
    if is_json_api():
        return problem(
            401, _("A valid API token is required (Authorization: Bearer …)."), {"WWW-Authenticate": "Bearer"}
        )
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
    if TOKEN in who:
        return authorize_token(required_scopes(view))
    if not current_user.is_authenticated:
        return unauthorized()
    if AUTHENTICATED in who:
        return None
    if not current_user.roles.intersection(who):
        return _error_response(403)
    return None


def authorize_token(scopes: frozenset[str]):
    """Let an API call through with a live bearer token holding every scope the view needs: 401 or 403 otherwise.

    A person's session never opens an API route; the token's name is who acts in the audit log.
    """
    kind, _sep, value = request.headers.get("Authorization", "").partition(" ")
    token = api_tokens.find(value.strip()) if kind.lower() == "bearer" else None
    if token is None:
        return unauthorized()
    missing = sorted(scopes.difference(token.scopes))
    if missing:
        return problem(403, _("This token lacks the scope %(scopes)s.", scopes=", ".join(missing)))
    g.api_token = token
    g.primo_actor_label = f"api-token:{token.id}:{token.name}"[:254]
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
    if is_json_api():
        return problem(code, message)
    if is_api():
        return jsonify(error=message), code
    return render_template("errors/error.html", code=code, message=message), code


def bad_request(message: str) -> NoReturn:
    """Stop with a 400 that says what was wrong with the request."""
    exc = BadRequest(description=message)
    exc.primo_message = True  # type: ignore[attr-defined]
    raise exc


def size_in_words(size: int) -> str:
    """A byte count as people say it, in the reader's language: 64 MB, 100 KB, 900 bytes (1 KB = 1024 bytes)."""
    if size >= 1024**3:
        return _("%(n)s GB", n=format_decimal(round(size / 1024**3, 1)))
    if size >= 1024**2:
        return _("%(n)s MB", n=format_decimal(round(size / 1024**2, 1)))
    if size >= 1024:
        return _("%(n)s KB", n=format_decimal(round(size / 1024, 1)))
    return _("%(n)s bytes", n=format_decimal(size))


def _drain(budget: int) -> None:
    """Read and drop the body the client is still sending, up to `budget` bytes: a server that answers and closes
    mid-upload leaves the browser with a reset connection instead of the 413 page (gunicorn does)."""
    stream = request.environ.get("wsgi.input")
    length = request.content_length
    if stream is None or (length is not None and length > budget):
        return  # too much to wait for: that client may see a reset rather than the page
    remaining = length if length is not None else budget
    while remaining > 0:
        chunk = stream.read(min(1024 * 1024, remaining))
        if not chunk:
            break
        remaining -= len(chunk)


def handle_too_large(exc: RequestEntityTooLarge):
    """A body over MAX_CONTENT_LENGTH: a 413 that names the limit, whatever read the body first (CSRF, a form)."""
    # Werkzeug refused the body unread and caches nothing, so the error page's own logout form would read it
    # again and raise the same error inside this handler (a 500). Give the request the empty form it would
    # have had without a body, the way Werkzeug itself stores a parsed one.
    request.__dict__.update(stream=io.BytesIO(), form=ImmutableMultiDict(), files=ImmutableMultiDict())
    limit = request.max_content_length
    if not limit:
        return _error_response(413)
    _drain(DRAIN_FACTOR * limit)
    return _error_response(413, _("The file is larger than the %(limit)s limit.", limit=size_in_words(limit)))


def handle_period_error(exc: PeriodError):
    """A period a user typed (a form field, `?period=`) that cannot be read or is out of range: a 400."""
    return _error_response(
        400,
        _(
            "“%(text)s” is not a period: write YYYY-MM, YYYY-Qn or YYYY, with a year from %(first)d to %(last)d.",
            text=exc.text[:40],
            first=FIRST_YEAR,
            last=LAST_YEAR,
        ),
    )


def _too_large(digits: str) -> bool:
    # Compare lengths first: int() refuses strings of more than 4300 digits (a ValueError, a 500).
    digits = digits.lstrip("0")
    return len(digits) > len(str(LARGEST_INTEGER)) or int(digits or "0") > LARGEST_INTEGER


def check_number_arguments():
    """Refuse, with a 400 before any query runs, a `page` that is not a page number and an id argument
    (`?store=`, `?run=`…) too large for a database integer: SQL would overflow on either (a 500).

    A page past the last one is left to the page (an empty list, or a 404 where it says so).
    """
    raw = request.args.get("page")
    if raw is not None and not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= LARGEST_PAGE):
        return _error_response(400, _("“%(value)s” is not a page number: pages are numbered 1, 2, 3…", value=raw[:20]))
    for name in ID_ARGUMENTS:
        for value in request.args.getlist(name):
            text = value.strip()
            if text.isascii() and text.isdigit() and _too_large(text):
                return _error_response(400, _("The number given for “%(name)s” is too large.", name=name))
    return None


def handle_overflow(exc: Exception):
    """A number or date too large for the database or the calendar, from a form field no check caught: a 400."""
    db.session.rollback()
    current_app.logger.warning("out-of-range value on %s: %s", request.path, exc)
    return _error_response(400, _("A number or a date in the request is out of range."))


def handle_data_error(exc: DataError):
    """PostgreSQL's "numeric value out of range" (SQLSTATE 22003) is SQLite's OverflowError: a 400; any other
    data error is ours (a 500)."""
    if getattr(exc.orig, "sqlstate", None) == "22003":
        return handle_overflow(exc)
    return handle_server_error(exc)


class IdConverter(IntegerConverter):
    """`<int:…>` in URLs: a number no database row can carry is no id at all (404), not an overflow (500)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", LARGEST_INTEGER)
        super().__init__(url_map, *args, **kwargs)


def handle_http_error(exc: HTTPException):
    code = exc.code or 500
    if code == 401:
        return unauthorized()
    if isinstance(exc, RateLimitExceeded):
        return too_many_requests()
    description = exc.description if getattr(exc, "primo_message", False) else None
    data = getattr(exc, "data", None)
    if is_json_api() and isinstance(data, dict) and "messages" in data:
        # The API's request schemas refused the input (webargs): say which field, and why.
        return problem(code, _("The request does not match the API's schema."), errors=data["messages"])
    return _error_response(code, description)


def too_many_requests():
    """The error page for a broken rate limit, saying when to come back (Retry-After, in seconds)."""
    seconds = seconds_until_reset()
    if is_json_api():
        message = ngettext(
            "Too many calls with this token. Try again in %(num)d second.",
            "Too many calls with this token. Try again in %(num)d seconds.",
            seconds,
        )
        return problem(429, message, {"Retry-After": str(seconds)})
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
    app.url_map.converters["int"] = IdConverter
    app.before_request(enforce_access)
    app.before_request(check_number_arguments)
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(RequestEntityTooLarge, handle_too_large)
    app.register_error_handler(PeriodError, handle_period_error)
    app.register_error_handler(OverflowError, handle_overflow)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(Exception, handle_server_error)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    @app.context_processor
    def inject():
        from app.auth.forms import ActionForm
        from app.core import formatting, labels

        return {
            "action_form": ActionForm,
            "fmt": formatting,
            "label": labels.label,
            "problem_text": labels.problem_text,
            "company_name": current_app.config["PRIMO_COMPANY_NAME"],
        }

    @app.teardown_appcontext
    def forget(_exc):
        g.pop("primo_actor", None)


def scalar_count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
