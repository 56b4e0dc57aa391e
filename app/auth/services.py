"""Accounts: creation, roles, passwords, one-time links, login throttling. Services flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit.services import record
from app.auth.access import ROLES
from app.auth.models import LoginAttempt, User, UserRole
from app.dbtypes import utcnow
from app.extensions import db
from app.org.models import Employee

MIN_PASSWORD_LENGTH = 10


def _hash_password(password: str) -> str:
    # scrypt (werkzeug's default) is memory-hard and slow on purpose; tests may pick a cheaper method.
    return generate_password_hash(password, method=current_app.config.get("PRIMO_PASSWORD_METHOD", "scrypt"))


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""


class TooManyAttempts(AccountError):
    """Too many failed logins for this account recently."""


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


def recent_failures(email: str, window: timedelta) -> int:
    since = utcnow() - window
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.email == email, LoginAttempt.at >= since)
        )
        or 0
    )


def authenticate(email: str, password: str, max_failures: int, window: timedelta) -> User | None:
    """Check credentials, counting failures per account; refuse outright after too many."""
    email = email.strip().lower()
    if recent_failures(email, window) >= max_failures:
        raise TooManyAttempts("too many failed logins for this account; try again later")
    user = find_user(email)
    if user is None or not user.active or not user.password_hash:
        # Hash anyway so that response time does not reveal which accounts exist.
        check_password_hash(_hash_password("not-a-real-password"), password)
        user = None
    elif not check_password_hash(user.password_hash, password):
        user = None
    if user is None:
        db.session.add(LoginAttempt(email=email))
        return None
    user.last_login_at = utcnow()
    return user
