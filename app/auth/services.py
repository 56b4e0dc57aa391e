"""Accounts: creation, roles, passwords, languages, one-time links, login throttling. Services flush, never commit."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit.services import record
from app.auth.access import ROLES
from app.auth.models import LoginAttempt, User, UserRole
from app.config import LANGUAGES
from app.dbtypes import utcnow
from app.extensions import db
from app.org.models import Employee

MIN_PASSWORD_LENGTH = 10


_DUMMY_HASHES: dict[str, str] = {}


def _password_method() -> str:
    # scrypt (werkzeug's default) is memory-hard and slow on purpose; tests may pick a cheaper method.
    return current_app.config.get("PRIMO_PASSWORD_METHOD", "scrypt")


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=_password_method())


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""


class TooManyAttempts(AccountError):
    """Too many failed logins at this account from this client recently; `retry_after` says for how long (s)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    """Check an e-mail address and give it in the form accounts are stored under."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"email: {exc}") from None


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: at least {MIN_PASSWORD_LENGTH} characters")


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def _check_roles(roles: Iterable[str]) -> list[str]:
    wanted = sorted(set(roles))
    unknown = [r for r in wanted if r not in ROLES]
    if unknown:
        raise AccountError(f"role: unknown {', '.join(unknown)} (known: {', '.join(ROLES)})")
    if not wanted:
        raise AccountError("role: give at least one role")
    return wanted


def _employee_by_number(number: str | None) -> Employee | None:
    if not number:
        return None
    employee = db.session.scalar(sa.select(Employee).where(Employee.number == number.strip()))
    if employee is None:
        raise AccountError(f"employee: no employee number {number}")
    taken = db.session.scalar(sa.select(User).where(User.employee_id == employee.id))
    if taken is not None:
        raise AccountError(f"employee: {number} already has the account {taken.email}")
    return employee


def create_user(
    email: str, roles: Iterable[str], password: str | None = None, employee_number: str | None = None
) -> User:
    """Create an account; without a password it can only be opened through a one-time link."""
    email = normalise_email(email)
    wanted = _check_roles(roles)
    if find_user(email) is not None:
        raise AccountError(f"email: an account already exists for {email}")
    employee = _employee_by_number(employee_number)
    if password is not None:
        check_password_rules(password)
    user = User(email=email, employee=employee)
    if password is not None:
        user.password_hash = _hash_password(password)
    user.role_rows = [UserRole(role=r) for r in wanted]
    db.session.add(user)
    db.session.flush()
    record("user.create", "user", user.id, summary=email, after={"roles": wanted, "employee": employee_number})
    return user


def set_roles(user: User, roles: Iterable[str]) -> None:
    """Replace a user's roles; their sessions end so the new rights apply at once."""
    wanted = _check_roles(roles)
    before = sorted(user.roles)
    if before == wanted:
        return
    # Remove and add only the difference: a delete-and-reinsert would collide on the unique (user, role).
    for row in [r for r in user.role_rows if r.role not in wanted]:
        user.role_rows.remove(row)
    db.session.flush()
    user.role_rows.extend(UserRole(role=r) for r in wanted if r not in before)
    user.rotate_session()
    db.session.flush()
    record("user.roles", "user", user.id, summary=user.email, before={"roles": before}, after={"roles": wanted})


def set_active(user: User, active: bool) -> None:
    """Disable (ending every session) or re-enable an account."""
    if user.active == active:
        return
    user.active = active
    user.rotate_session()
    record(
        "user.enable" if active else "user.disable",
        "user",
        user.id,
        summary=user.email,
        before={"active": not active},
        after={"active": active},
    )


def set_password(user: User, password: str) -> None:
    """Set a new password and end every existing session of the account."""
    check_password_rules(password)
    user.password_hash = _hash_password(password)
    user.reset_token_hash = None
    user.reset_expires_at = None
    user.rotate_session()
    record("user.password", "user", user.id, summary=user.email)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset_token(user: User, hours: int) -> str:
    """Make a one-time password link token (only its hash is stored) valid for `hours`."""
    token = secrets.token_urlsafe(32)
    user.reset_token_hash = _hash_token(token)
    user.reset_expires_at = utcnow() + timedelta(hours=hours)
    record("user.reset_link", "user", user.id, summary=user.email)
    return token


def user_for_reset_token(token: str, now: datetime | None = None) -> User | None:
    """The account a still-valid one-time token belongs to."""
    user = db.session.scalar(sa.select(User).where(User.reset_token_hash == _hash_token(token)))
    if user is None or user.reset_expires_at is None or user.reset_expires_at < (now or utcnow()):
        return None
    if not user.active:
        return None
    return user


@dataclass(frozen=True)
class LoginThrottle:
    """How failed logins hold back further tries at an account (see `authenticate`)."""

    max_failures: int  # per client address and account, within the window
    account_failures: int  # per account from every address, after which each address gets one try
    window: timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoginThrottle:
        return cls(
            config["PRIMO_LOGIN_MAX_FAILURES"],
            config["PRIMO_LOGIN_ACCOUNT_FAILURES"],
            timedelta(minutes=config["PRIMO_LOGIN_WINDOW_MINUTES"]),
        )


PURGE_BATCH = 500


def purge_login_attempts(window: timedelta, now: datetime | None = None) -> None:
    """Delete failed-login rows that have left their window, at most PURGE_BATCH of them (each login does some)."""
    ended = (
        sa.select(LoginAttempt.id)
        .where(LoginAttempt.at < (now or utcnow()) - window)
        .order_by(LoginAttempt.id)
        .limit(PURGE_BATCH)
    )
    db.session.execute(
        sa.delete(LoginAttempt).where(LoginAttempt.id.in_(ended)), execution_options={"synchronize_session": False}
    )


def _dummy_hash() -> str:
    """A hash of a random password, made once per process and method, to check unknown accounts against."""
    method = _password_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _DUMMY_HASHES[method]


def _check_throttle(email: str, client: str, throttle: LoginThrottle, now: datetime) -> None:
    """Refuse a try when this client failed too often at this account within the window.

    The refusal counts per client address and account, so a stranger's failures elsewhere never lock the owner
    out. Failures from every address only lower the ceiling: once an account has `account_failures` of them,
    each address gets one try at it until they leave the window, which holds back an attack spread over many
    addresses while the owner, who has not failed from their own, can still log in.
    """
    recent = sa.select(LoginAttempt.at).where(LoginAttempt.email == email, LoginAttempt.at >= now - throttle.window)
    everywhere = db.session.scalar(sa.select(sa.func.count()).select_from(recent.subquery())) or 0
    ceiling = throttle.max_failures if everywhere < throttle.account_failures else 1
    here = list(db.session.scalars(recent.where(LoginAttempt.client == client).order_by(LoginAttempt.at)))
    if len(here) >= ceiling:
        # Another try opens when all but ceiling - 1 of this client's failures have left the window.
        opens_at = here[len(here) - ceiling] + throttle.window
        raise TooManyAttempts(
            "too many failed logins for this account from here; try again later",
            retry_after=max(1, math.ceil((opens_at - now).total_seconds())),
        )


def authenticate(email: str, password: str, client: str, throttle: LoginThrottle) -> User | None:
    """Check credentials from a client address; refuse outright after too many failures (see `_check_throttle`).

    Unknown, disabled and password-less accounts cost one password check too, against a dummy hash made with
    the same method, so that the response time does not tell which accounts exist.
    """
    email = email.strip().lower()
    now = utcnow()
    purge_login_attempts(throttle.window, now)
    _check_throttle(email, client, throttle, now)
    user = find_user(email)
    if user is None or not user.active or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        user = None
    elif not check_password_hash(user.password_hash, password):
        user = None
    if user is None:
        db.session.add(LoginAttempt(email=email, client=client, at=now))
        return None
    user.last_login_at = now
    return user


def set_language(user: User, language: str | None) -> None:
    """Save the language a user chose for their pages (None: their employee record's, else the browser's)."""
    if language is not None and language not in LANGUAGES:
        raise AccountError(f"language: one of {', '.join(LANGUAGES)}")
    if user.language == language:
        return
    before = user.language
    user.language = language
    record(
        "user.language", "user", user.id, summary=user.email, before={"language": before}, after={"language": language}
    )
