"""Endpoints (registered by HR, secret shown once), events emitted once, and deliveries sent from the queue.

`emit` flushes and leaves the commit to its caller; the deliveries it creates reach the queue once that commit
lands (`app.reports.queue`). Sending claims a delivery with one conditional UPDATE, so two senders never both send
it, and a delivered one is never sent again; a failure comes back after 1 min, 5 min, 30 min and 2 h (the
notifications' schedule), then the delivery is failed. HR may replay any delivery: a new delivery of the same event.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.audit.services import record
from app.dbtypes import utcnow
from app.extensions import db, insert_unless_taken
from app.notify.kinds import retry_delay
from app.notify.services import RetryLater
from app.webhooks import sending, signing
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

PENDING_KEY = "primo_webhook_deliveries"  # app.reports.queue enqueues these after the commit
# A delivery claimed this long ago by a sender that never finished (a killed worker) may be claimed again.
CLAIM_LEASE = timedelta(minutes=10)
SECRET_START = "whsec_"
# Finished deliveries, their attempts and their events' contents are kept this long, then purged (`webhooks purge`).
RETENTION = timedelta(days=90)

RUN_APPROVED = "run.approved"
STATEMENTS_READY = "statements.ready"
CASE_OPENED = "case.opened"
POINTS_REDEEMED = "points.redeemed"
EVENT_TYPES = (RUN_APPROVED, STATEMENTS_READY, CASE_OPENED, POINTS_REDEEMED)


class EndpointError(ValueError):
    """An endpoint that cannot be registered as asked; `field` names the field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Created:
    endpoint: WebhookEndpoint
    secret: str  # shown once to HR


# --- endpoints -------------------------------------------------------------------------------------------------


def allow_private() -> bool:
    return bool(current_app.config.get("PRIMO_WEBHOOK_ALLOW_PRIVATE"))


def _url_refusal(code: str) -> str:
    reasons = {
        "length": _("a URL of at most 2000 characters"),
        "scheme": _("only http:// and https:// addresses"),
        "host": _("the URL has no host"),
        "credentials": _("no user name or password in the URL (receivers check the signature)"),
        "port": _("the port is not a number from 1 to 65535"),
        "private": _("a private, loopback or link-local address"),
    }
    return reasons.get(code, code)


def create_endpoint(url: str, events: Iterable[str], description: str, by: str) -> Created:
    """Register an endpoint for some events, with a fresh signing secret (flush only)."""
    chosen = sorted(set(events))
    if not chosen or any(e not in EVENT_TYPES for e in chosen):
        raise EndpointError(_("Choose the events among %(events)s.", events=", ".join(EVENT_TYPES)), "events")
    try:
        sending.check_url(url, allow_private())
    except sending.UrlRefused as exc:
        raise EndpointError(_("This URL is refused: %(reason)s.", reason=_url_refusal(exc.code)), "url") from None
    description = (description or "").strip()
    if len(description) > 200:
        raise EndpointError(_("A description of at most 200 characters."), "description")
    secret = SECRET_START + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        url=url.strip(), events=chosen, description=description, secret=secret, active=True, created_by=by
    )
    db.session.add(endpoint)
    db.session.flush()
    record("webhook.create", "webhook_endpoint", endpoint.id, summary=endpoint.url[:200], after={"events": chosen})
    return Created(endpoint, secret)


def set_active(endpoint: WebhookEndpoint, active: bool) -> None:
    """Switch an endpoint on or off: an endpoint off receives nothing new (flush only)."""
    if endpoint.active == active:
        return
    endpoint.active = active
    db.session.flush()
    record("webhook.enable" if active else "webhook.disable", "webhook_endpoint", endpoint.id)


def endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def deliveries_of(endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookDelivery]:
    """An endpoint's latest deliveries, newest first, with their attempts."""
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# --- events ----------------------------------------------------------------------------------------------------


def _schedule(delivery_id: int) -> None:
    db.session.info.setdefault(PENDING_KEY, []).append(delivery_id)


def listeners(event_type: str) -> list[WebhookEndpoint]:
    """The active endpoints that subscribed to an event type."""
    if event_type not in EVENT_TYPES:
        raise KeyError(event_type)
    active = db.session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))
    return [endpoint for endpoint in active if event_type in endpoint.events]


def emit(
    event_type: str, key: str, data: dict[str, Any], to: list[WebhookEndpoint] | None = None
) -> WebhookEvent | None:
    """Record that `event_type` happened (`key` names the fact) and a delivery for each active endpoint that
    subscribed (or those of `to`, found beforehand); None when nobody listens or the fact was emitted already.
    Flush only: the deliveries are sent after the commit."""
    endpoints_ = listeners(event_type) if to is None else to
    if not endpoints_:
        return None
    event_id = insert_unless_taken(
        WebhookEvent,
        {
            "uid": "evt_" + uuid.uuid4().hex,
            "key": key[:200],
            "type": event_type,
            "occurred_at": utcnow(),
            "data": json.loads(json.dumps(data, default=str)),  # money and dates as strings, once and for all
        },
        ["key"],
    )
    if event_id is None:
        return None
    for endpoint in endpoints_:
        delivery_id = insert_unless_taken(
            WebhookDelivery,
            {
                "event_id": event_id,
                "endpoint_id": endpoint.id,
                "replay": 0,
                "status": "pending",
                "attempts": 0,
                "created_at": utcnow(),
            },
            ["event_id", "endpoint_id", "replay"],
        )
        if delivery_id is not None:
            _schedule(delivery_id)
    return db.session.get(WebhookEvent, event_id)


def replay(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's event to its endpoint again (a new delivery, signed with a new timestamp; flush only)."""
    last = db.session.scalar(
        sa.select(sa.func.max(WebhookDelivery.replay)).where(
            WebhookDelivery.event_id == delivery.event_id, WebhookDelivery.endpoint_id == delivery.endpoint_id
        )
    )
    again = WebhookDelivery(
        event_id=delivery.event_id,
        endpoint_id=delivery.endpoint_id,
        replay=(last or 0) + 1,
        status="pending",
        attempts=0,
        created_at=utcnow(),
    )
    db.session.add(again)
    db.session.flush()
    _schedule(again.id)
    record(
        "webhook.replay",
        "webhook_endpoint",
        delivery.endpoint_id,
        summary=f"{delivery.event.type} {delivery.event.uid} (delivery {delivery.id} → {again.id})",
    )
    return again


def body_of(event: WebhookEvent) -> bytes:
    """The JSON a receiver gets: the same bytes on every attempt and replay of an event."""
    payload = {
        "id": event.uid,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


# --- sending ---------------------------------------------------------------------------------------------------


def _claim(delivery_id: int) -> bool:
    """Mark a delivery as being sent by this caller; False when another sender has it, or it is done."""
    now = utcnow()
    claimable = sa.or_(
        WebhookDelivery.status == "pending",
        sa.and_(WebhookDelivery.status == "sending", WebhookDelivery.claimed_at < now - CLAIM_LEASE),
    )
    result = db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, claimable)
        .values(status="sending", claimed_at=now),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return bool(result.rowcount)


def deliver(delivery_id: int) -> bool:
    """Send one delivery (the queued task); True when this call delivered it. Raises RetryLater after a failure
    that has retries left (the delivery is pending again, with its next time)."""
    if db.session.get(WebhookDelivery, delivery_id) is None:
        raise LookupError(f"webhook delivery {delivery_id} not found")  # retried: its row may not be visible yet
    if not _claim(delivery_id):
        return False
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    db.session.refresh(delivery)
    endpoint, event = delivery.endpoint, delivery.event
    body = body_of(event)
    started = utcnow()
    if endpoint.active:
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Primo-Webhooks/1",
            signing.HEADER: signing.signature_header(endpoint.secret, timestamp, body),
            "Primo-Event-Id": event.uid,
            "Primo-Event-Type": event.type,
            "Primo-Delivery-Id": str(delivery.id),
        }
        timeout = float(current_app.config.get("PRIMO_WEBHOOK_TIMEOUT", 5))
        outcome = sending.post(endpoint.url, body, headers, timeout, allow_private())
    else:
        outcome = sending.Outcome(None, "the endpoint is switched off", 0)
    delivery.attempts += 1
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            number=delivery.attempts,
            started_at=started,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=(outcome.error or None) and outcome.error[:500],
            ok=outcome.ok,
        )
    )
    delivery.claimed_at = None
    if outcome.ok:
        delivery.status = "delivered"
        delivery.delivered_at = utcnow()
        delivery.next_attempt_at = None
        db.session.commit()
        return True
    delay = retry_delay(delivery.attempts) if endpoint.active else None
    delivery.status = "pending" if delay is not None else "failed"
    delivery.next_attempt_at = utcnow() + timedelta(seconds=delay) if delay is not None else None
    db.session.commit()
    if delay is not None:
        reason = outcome.error or f"HTTP {outcome.status_code}"
        raise RetryLater(reason, delay)
    return False


def send_due(now: datetime | None = None) -> int:
    """Send pending deliveries whose time has come that the queue does not hold (the broker was down, a worker was
    killed); return how many were delivered. Safe to run again."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=1)
    ids = list(
        db.session.scalars(
            sa.select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status.in_(("pending", "sending")),
                sa.or_(
                    sa.and_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.created_at < cutoff),
                    WebhookDelivery.next_attempt_at < now,
                ),
            )
            .order_by(WebhookDelivery.id)
        )
    )
    delivered = 0
    for delivery_id in ids:
        try:
            delivered += deliver(delivery_id)
        except RetryLater as exc:
            _retry_on_queue(delivery_id, exc.delay)
    return delivered


def _retry_on_queue(delivery_id: int, delay: int) -> None:
    """Put a delivery's next try on the queue (if the broker is down, the next send-due finds it again)."""
    from app.reports.queue import app_huey  # the queue module imports the reports: not at the top

    try:
        app_huey().primo_webhook.schedule((delivery_id,), delay=delay)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001  (any broker error: the row stays pending with its time)
        logging.getLogger(__name__).exception("webhook delivery %s could not be queued", delivery_id)


# --- retention ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    deliveries: int  # delivered or failed deliveries removed, with their attempts
    events: int  # events whose contents were cleared


def purge(older_than: timedelta = RETENTION, now: datetime | None = None) -> Purged:
    """Remove deliveries finished before the cutoff (their attempts go with them) and clear the contents of events
    that occurred before it and have no delivery left; flush only, safe to run again.

    An event's row stays, without its data (which may name employees): its key is what stops the same fact from
    being emitted a second time. Pending and sending deliveries are never touched, however old."""
    cutoff = (now or utcnow()) - older_than
    finished = sa.select(WebhookDelivery.id).where(
        WebhookDelivery.status.in_(("delivered", "failed")),
        sa.func.coalesce(WebhookDelivery.delivered_at, WebhookDelivery.created_at) < cutoff,
    )
    ids = list(db.session.scalars(finished))
    for part in range(0, len(ids), 1000):
        chunk = ids[part : part + 1000]
        db.session.execute(sa.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(chunk)))
        db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.id.in_(chunk)))
    left = sa.exists().where(WebhookDelivery.event_id == WebhookEvent.id)
    cleared = db.session.execute(
        sa.update(WebhookEvent)
        .where(WebhookEvent.occurred_at < cutoff, ~left, sa.cast(WebhookEvent.data, sa.Text) != "{}")
        .values(data={}),
        execution_options={"synchronize_session": False},
    ).rowcount
    if ids or cleared:
        record(
            "webhooks.purge",
            "webhook_delivery",
            "",
            summary=f"{len(ids)} deliveries and the contents of {cleared} events older than {older_than.days} days",
        )
    return Purged(len(ids), cleared)
