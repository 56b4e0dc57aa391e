"""HR's view of the audit log, with filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from app.audit.models import AuditEvent
from app.auth.access import allow
from app.core import clock
from app.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.route("/")
@allow("hr")
def index():
    """List audit events, newest first, filtered by actor, action, object and dates."""
    filters = {k: request.args.get(k, "").strip() for k in ("actor", "action", "object_type", "object_id")}
    start, end = _day(request.args.get("from")), _day(request.args.get("to"))
    query = sa.select(AuditEvent)
    if filters["actor"]:
        query = query.where(AuditEvent.actor.ilike(f"%{filters['actor']}%"))
    if filters["action"]:
        query = query.where(AuditEvent.action.like(f"{filters['action']}%"))
    if filters["object_type"]:
        query = query.where(AuditEvent.object_type == filters["object_type"])
    if filters["object_id"]:
        query = query.where(AuditEvent.object_id == filters["object_id"])
    zone = clock.zone()
    if start:
        query = query.where(AuditEvent.at >= datetime.combine(start, time(), zone).astimezone(UTC))
    if end:
        query = query.where(AuditEvent.at < datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC))
    page = db.paginate(query.order_by(AuditEvent.id.desc()), per_page=50)
    return render_template(
        "audit/index.html",
        page=page,
        filters=filters,
        start=request.args.get("from", ""),
        end=request.args.get("to", ""),
    )
