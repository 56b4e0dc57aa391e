"""User accounts, their roles, failed-login records and one-time password links."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.org.models import Employee


def new_token() -> str:
    return secrets.token_urlsafe(32)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated on logout, password change, role change and disabling: every older cookie stops working.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_token)
    language: Mapped[str | None] = mapped_column(sa.String(2))
    employee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employees.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reset_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    reset_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserRole.role"
    )
    employee: Mapped[Employee | None] = relationship()

    # Flask-Login protocol, written out so that the session token travels in the id.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def rotate_session(self) -> None:
        self.session_token = new_token()

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", name="uq_user_roles_user_role"),
        sa.CheckConstraint("role IN ('hr', 'manager', 'employee', 'payroll')", name="known_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))

    user: Mapped[User] = relationship(back_populates="role_rows")


class LoginAttempt(db.Model):
    """One failed login for an e-mail address from a client address; rows older than the window are purged."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    # The client's address (after the trusted proxies): the hard refusal counts per client and account.
    client: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class RateLimitCounter(db.Model):
    """One fixed-window counter of the rate limiter, shared by every web process (see `app/auth/limiting.py`)."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int]
    # Seconds since the epoch, as `limits` counts them: the window ends (and the row may go) then.
    expires_at: Mapped[float] = mapped_column(sa.Float(), index=True)


class ApiToken(db.Model):
    """An integration's key to the JSON API: only the SHA-256 of its secret is kept, with its scopes and limits."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # The public part of the token (`primo_<prefix>_<secret>`), used to find the row before comparing hashes.
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    scopes: Mapped[list[str]] = mapped_column(sa.JSON())
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(sa.String(254))

    created_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.name}>"
