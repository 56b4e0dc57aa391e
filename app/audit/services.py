"""Write audit records from services; the caller's transaction commits them with the change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_request_context
from flask_login import current_user

from app.audit.models import AuditEvent
from app.extensions import db


def _plain(value: Any) -> Any:
    """Make a value JSON-safe without losing exactness (Decimals and dates become strings)."""
    if isinstance(value, Decimal | date | datetime):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def current_actor() -> tuple[int | None, str]:
    """Who is acting: an API token, the logged-in user, the CLI's --user, or the system."""
    if has_request_context() and g.get("api_token") is not None:
        return None, g.primo_actor_label
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email
    actor = g.get("primo_actor")
    if actor is not None:
        return actor.id, actor.email
    return None, g.get("primo_actor_label", "cli")


def record(
    action: str,
    object_type: str,
    object_id: object,
    *,
    summary: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session (no commit: it lands with the change it describes)."""
    actor_id, actor = current_actor()
    event = AuditEvent(
        actor_id=actor_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:500],
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    db.session.add(event)
    return event
