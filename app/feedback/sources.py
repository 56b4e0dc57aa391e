"""Webhook sources: registering one with its signing secret, and the question refs that map a form's answers."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from app.audit.services import record
from app.extensions import db
from app.feedback.ingest import IngestError, check_source_name
from app.feedback.models import SOURCE_FORMATS, FeedbackSource
from app.feedback.webhook import REF_KEYS


def clean_refs(refs: dict[str, str | None]) -> dict[str, str]:
    unknown = sorted(set(refs) - set(REF_KEYS))
    if unknown:
        raise IngestError(f"unknown question ref key(s): {', '.join(unknown)} (known: {', '.join(REF_KEYS)})")
    cleaned = {k: (v or "").strip() for k, v in refs.items()}
    too_long = [k for k, v in cleaned.items() if len(v) > 120]
    if too_long:
        raise IngestError(f"question ref too long: {', '.join(too_long)}")
    return {k: v for k, v in cleaned.items() if v}


def create_source(name: str, fmt: str, refs: dict[str, str | None] | None = None) -> FeedbackSource:
    """Register a webhook source with a fresh signing secret (shown once by the caller)."""
    name = check_source_name(name)
    if fmt not in SOURCE_FORMATS:
        raise IngestError(f"unknown format {fmt!r} (use {' or '.join(SOURCE_FORMATS)})")
    if db.session.scalar(sa.select(FeedbackSource.id).where(FeedbackSource.name == name)) is not None:
        raise IngestError(f"a source named {name!r} already exists")
    source = FeedbackSource(name=name, format=fmt, secret=secrets.token_hex(32), question_refs=clean_refs(refs or {}))
    db.session.add(source)
    db.session.flush()
    record(
        "feedback.source_create",
        "feedback_source",
        source.id,
        summary=f"source {name} ({fmt})",
        after={"name": name, "format": fmt, "question_refs": source.question_refs},
    )
    return source


def update_source_refs(source: FeedbackSource, refs: dict[str, str | None]) -> None:
    before = dict(source.question_refs or {})
    source.question_refs = clean_refs(refs)
    record(
        "feedback.source_refs",
        "feedback_source",
        source.id,
        summary=f"question refs of {source.name}",
        before={"question_refs": before},
        after={"question_refs": source.question_refs},
    )
    db.session.flush()
