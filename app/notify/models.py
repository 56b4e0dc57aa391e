"""A notification per user, kind and event (the unique key that keeps an event from being sent twice), and each
user's choice per kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db

STATUSES = ("pending", "sending", "sent", "inapp", "failed")


class Notification(db.Model):
    """Something a user should hear about; `status` says where it went: pending (waiting for the queue or the
    digest), sending (claimed by one sender), sent (by e-mail), inapp (on the home page: no address), failed."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "event_key", name="uq_notifications_event"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'inapp', 'failed')", name="known_notification_status"
        ),
        sa.CheckConstraint("mode IN ('immediate', 'digest')", name="known_notification_mode"),
        sa.Index("ix_notifications_due", "status", "mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    event_key: Mapped[str] = mapped_column(sa.String(200))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    mode: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    user: Mapped[User] = relationship()


class NotificationPreference(db.Model):
    """How one user receives one kind (no row: the kind's default)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", name="uq_notification_preferences_kind"),
        sa.CheckConstraint("mode IN ('immediate', 'digest', 'off')", name="known_preference_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    mode: Mapped[str] = mapped_column(sa.String(10))
