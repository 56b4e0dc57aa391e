"""Record notifications (once per user, kind and event) and send them: one e-mail each from the queue, a weekly
digest, or the home page for users without an address.

`notify` flushes and leaves the commit to its caller; the immediate ones reach the queue once that commit lands
(`app.notify.queue`). Sending claims a row with one conditional UPDATE, so two senders never both send it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from app.auth.models import User
from app.core import clock
from app.dbtypes import utcnow
from app.extensions import db, insert_unless_taken
from app.notify import mail, messages
from app.notify.kinds import KINDS, Mode, digest_week_start, retry_delay
from app.notify.models import Notification, NotificationPreference

PENDING_KEY = "primo_notifications"  # app.reports.queue enqueues these after the commit
# A row claimed this long ago by a sender that never finished (a killed worker) may be claimed again.
CLAIM_LEASE = timedelta(minutes=30)


class RetryLater(RuntimeError):
    """Sending failed; the queue should try again after `delay` seconds."""

    def __init__(self, message: str, delay: int) -> None:
        super().__init__(message)
        self.delay = delay


# --- who, how, in which language -------------------------------------------------------------------------------


def address_of(user: User) -> str | None:
    """Where a user's e-mail goes: their employee record's address when they have one, else their login.

    An employee whose record has no e-mail (a shared store login, say) reads notifications on the home page.
    """
    if user.employee is not None:
        return user.employee.email or None
    return user.email or None


def language_of(user: User) -> str:
    """The language the user chose, else their employee record's, else the company's default."""
    if user.language:
        return user.language
    if user.employee is not None and user.employee.language:
        return user.employee.language
    return current_app.config["PRIMO_DEFAULT_LANGUAGE"]


def modes_of(user: User) -> dict[str, Mode]:
    """The user's choice for every kind (the kind's default where they made none)."""
    mine = sa.select(NotificationPreference.kind, NotificationPreference.mode)
    chosen = {kind: mode for kind, mode in db.session.execute(mine.where(NotificationPreference.user_id == user.id))}
    return {code: Mode(chosen.get(code, kind.default)) for code, kind in KINDS.items()}


def set_modes(user: User, modes: dict[str, Mode]) -> dict[str, tuple[str, str]]:
    """Save the user's choices; return what changed as kind → (before, after) (flush only)."""
    current = modes_of(user)
    rows = {
        row.kind: row
        for row in db.session.scalars(
            sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    changed = {}
    for code, mode in modes.items():
        if code not in KINDS:
            raise KeyError(code)
        if current[code] == mode:
            continue
        changed[code] = (current[code].value, mode.value)
        if code in rows:
            rows[code].mode = mode.value
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=code, mode=mode.value))
    db.session.flush()
    return changed


# --- recording -------------------------------------------------------------------------------------------------


def notify(user: User, kind: str, event_key: str, **params: Any) -> Notification | None:
    """Record that `user` should hear of event `event_key` of `kind`; None when they chose "off", are disabled,
    or already have it (the same event is never recorded, so never sent, twice). Flush only."""
    if kind not in KINDS:
        raise KeyError(f"unknown notification kind {kind!r}")
    if not user.active:
        return None
    mode = modes_of(user)[kind]
    if mode is Mode.OFF:
        return None
    status = "pending" if address_of(user) else "inapp"
    inserted = insert_unless_taken(
        Notification,
        {
            "user_id": user.id,
            "kind": kind,
            "event_key": event_key[:200],
            "params": params,
            "mode": mode.value,
            "status": status,
            "created_at": utcnow(),
            "attempts": 0,
        },
        ["user_id", "kind", "event_key"],
    )
    if inserted is None:
        return None
    row = db.session.get(Notification, inserted)
    if row is not None and status == "pending" and mode is Mode.IMMEDIATE:
        db.session.info.setdefault(PENDING_KEY, []).append(row.id)
    return row


def notify_all(users: list[User], kind: str, event_key: str, **params: Any) -> int:
    """`notify` each user; return how many were recorded."""
    return sum(notify(user, kind, event_key, **params) is not None for user in users)


# --- sending ---------------------------------------------------------------------------------------------------


def _claim(ids: list[int]) -> list[int]:
    """Mark rows as being sent by this caller; return the ids it won (the others are someone else's, or done)."""
    if not ids:
        return []
    now = utcnow()
    claimable = sa.or_(
        Notification.status == "pending",
        sa.and_(Notification.status == "sending", Notification.claimed_at < now - CLAIM_LEASE),
    )
    won = []
    for notification_id in ids:  # one UPDATE per row: its rowcount says whether this caller won it
        result = db.session.execute(
            sa.update(Notification)
            .where(Notification.id == notification_id, claimable)
            .values(status="sending", claimed_at=now),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount:
            won.append(notification_id)
    db.session.commit()
    return won


def _finish(ids: list[int], status: str, error: str | None = None, failed: bool = False) -> list[int]:
    """Record the outcome of a sending; on failure, put rows back as pending (or failed once out of retries) and
    return the attempts count of the first."""
    rows = list(db.session.scalars(sa.select(Notification).where(Notification.id.in_(ids))))
    attempts = []
    for row in rows:
        row.claimed_at = None
        if failed:
            row.attempts += 1
            row.last_error = (error or "")[:500]
            row.status = "pending" if retry_delay(row.attempts) is not None else "failed"
            attempts.append(row.attempts)
        else:
            row.status = status
            row.sent_at = utcnow() if status == "sent" else None
            row.last_error = None
    db.session.commit()
    return attempts


def _compose(user: User, rows: list[Notification]) -> tuple[str, str, str]:
    """Subject, body and language of the e-mail that carries these rows (one, or a digest)."""
    language = language_of(user)
    with force_locale(language):
        if len(rows) == 1 and rows[0].mode == Mode.IMMEDIATE:
            row = rows[0]
            text = messages.body(row.kind, row.params)
            return messages.subject(row.kind, row.params), f"{text}\n\n-- \n{messages.footer()}\n", language
        parts = [f"* {messages.subject(r.kind, r.params)}\n  {messages.body(r.kind, r.params)}" for r in rows]
        body = "\n\n".join(parts) + f"\n\n-- \n{messages.footer()}\n"
        return messages.digest_subject(len(rows)), body, language


def _mail(user: User, rows: list[Notification], reference: str) -> None:
    smtp = mail.settings()
    assert smtp is not None
    subject, body, language = _compose(user, rows)
    company = current_app.config["PRIMO_COMPANY_NAME"]
    message = mail.build(smtp, address_of(user) or "", subject, body, language, reference, company)
    mail.send(smtp, message)


def _deliver(user: User, ids: list[int], reference: str) -> bool:
    """Claim, e-mail and mark rows; True when this call sent them. Raises RetryLater when the server failed."""
    won = _claim(ids)
    if not won:
        return False
    if mail.settings() is None or not address_of(user):
        _finish(won, "inapp")
        return False
    rows = list(db.session.scalars(sa.select(Notification).where(Notification.id.in_(won)).order_by(Notification.id)))
    try:
        _mail(user, rows, reference)
    except mail.MailError as exc:
        db.session.rollback()
        attempts = _finish(won, "pending", str(exc), failed=True)
        delay = retry_delay(attempts[0]) if attempts else None
        if delay is None:
            return False
        raise RetryLater(str(exc), delay) from exc
    _finish(won, "sent")
    return True


def deliver(notification_id: int) -> bool:
    """Send one immediate notification (the queued task); True when this call sent it."""
    row = db.session.get(Notification, notification_id)
    if row is None:
        raise LookupError(f"notification {notification_id} not found")  # retried: its row may not be visible yet
    if row.mode != Mode.IMMEDIATE or row.status not in ("pending", "sending"):
        return False
    user = row.user
    return _deliver(user, [row.id], f"primo-n{row.id}")


def send_digests(as_of: date) -> int:
    """E-mail each user one digest of the digest notifications that arrived before `as_of`'s week; return how many
    e-mails went. A user's week is sent once: its rows are marked sent."""
    week = digest_week_start(as_of)
    rows = db.session.execute(
        sa.select(Notification.user_id, Notification.id)
        .where(
            Notification.mode == Mode.DIGEST,
            Notification.status == "pending",
            Notification.created_at < clock.local_midnight(week),
        )
        .order_by(Notification.user_id, Notification.id)
    ).all()
    by_user: dict[int, list[int]] = defaultdict(list)
    for user_id, notification_id in rows:
        by_user[user_id].append(notification_id)
    sent = 0
    for user_id, ids in by_user.items():
        user = db.session.get(User, user_id)
        assert user is not None
        try:
            sent += _deliver(user, ids, f"primo-d{user_id}-{week.isoformat()}")
        except RetryLater:
            continue  # the rows are pending again: tomorrow's send-due sends them
    return sent


def send_stragglers(as_of: date) -> int:
    """Send immediate notifications that never reached the queue (the broker was down) or were put back after a
    failure and whose retries the queue no longer holds; return how many went."""
    cutoff = min(utcnow() - timedelta(minutes=10), clock.local_midnight(as_of + timedelta(days=1)))
    ids = list(
        db.session.scalars(
            sa.select(Notification.id).where(
                Notification.mode == Mode.IMMEDIATE,
                Notification.status == "pending",
                Notification.created_at < cutoff,
            )
        )
    )
    sent = 0
    for notification_id in ids:
        try:
            sent += deliver(notification_id)
        except RetryLater:
            continue
    return sent


def inbox(user: User, limit: int = 10) -> list[Notification]:
    """The user's unread home-page notifications, newest first."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id, Notification.status == "inapp", Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(user: User) -> int:
    """Mark the user's home-page notifications as read (flush only); return how many."""
    return db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.status == "inapp", Notification.read_at.is_(None))
        .values(read_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount


def wordings(rows: Sequence[Notification], language: str) -> list[tuple[str, str]]:
    """Notifications' subjects and bodies in a language (for the home page): the locale is switched once."""
    with force_locale(language):
        return [(messages.subject(row.kind, row.params), messages.body(row.kind, row.params)) for row in rows]
