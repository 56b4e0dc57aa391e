"""The survey webhook: `POST /api/feedback/<source>`, one response as JSON, signed with the source's secret."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from app.auth.access import PUBLIC, allow
from app.extensions import csrf, db
from app.feedback import flags, ingest
from app.feedback.blueprint import bp
from app.feedback.models import FeedbackSource, SurveyResponse
from app.feedback.survey_rows import ALL_COLUMNS
from app.feedback.webhook import (
    MAX_BODY_BYTES,
    SIGNATURE_HEADERS,
    PayloadError,
    generic_cells,
    parse_json,
    signature_valid,
    typeform_cells,
)


def _error(status: int, message: str, **extra):
    return jsonify(error=message, **extra), status


@bp.route("/api/feedback/<source>", methods=["POST"])
@allow(PUBLIC)  # authenticated by the HMAC signature of the body, not by a login
@csrf.exempt
def webhook(source: str):
    """Store one survey response sent by a registered source."""
    too_large = f"the body is larger than the {MAX_BODY_BYTES // 1024} KB limit"
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _error(413, too_large)
    # Read one byte past the cap, never more: a chunked body (no Content-Length) stops there too.
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _error(413, too_large)
    found = db.session.scalar(sa.select(FeedbackSource).where(FeedbackSource.name == source))
    # An unknown source and a bad signature answer alike, so the names of sources do not leak.
    header = request.headers.get(SIGNATURE_HEADERS.get(found.format if found else "generic", ""))
    if found is None or not signature_valid(found.format, found.secret, body, header):
        return _error(401, "missing or invalid signature")
    try:
        payload = parse_json(body)
        if found.format == "typeform":
            cells = typeform_cells(payload, found.question_refs or {}, ALL_COLUMNS)
        else:
            cells = generic_cells(payload, ALL_COLUMNS)
        status, response_id = ingest.store_response(found, cells)
        if status == "created":
            flags.after_webhook(response_id, payload)
        db.session.commit()
    except PayloadError as exc:
        db.session.rollback()
        return _error(400, str(exc))
    except ingest.ResponseRejected as exc:
        db.session.rollback()
        with force_locale("en"):  # as the API's: integrations read them
            reasons = [{"field": e.column, "reason": str(e.message)} for e in exc.errors]
            return _error(400, str(exc), reasons=reasons)
    except IntegrityError:
        # The same response arrived twice at once: the other request stored it (found at the insert, or at the
        # commit, depending on how long the first one held the write lock).
        db.session.rollback()
        response_id = db.session.scalar(
            sa.select(SurveyResponse.id).where(
                SurveyResponse.source == found.name, SurveyResponse.external_id == cells["external_id"].strip()
            )
        )
        if response_id is None:
            raise
        status = "duplicate"
    if status == "duplicate":
        return jsonify(status="duplicate", id=response_id), 200
    return jsonify(status="created", id=response_id), 201
