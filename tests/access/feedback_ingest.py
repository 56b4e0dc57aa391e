"""Access lines for the survey import, import batch, webhook source and webhook routes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.feedback.models import FeedbackSource, ImportBatch
from tests.access import Case, everyone, fixed, only


def _source_path(world: dict[str, Any], role: str) -> str:
    source = db.session.scalar(sa.select(FeedbackSource).where(FeedbackSource.name == "access-test"))
    if source is None:
        source = FeedbackSource(name="access-test", format="generic")
        db.session.add(source)
        db.session.commit()
    return f"/feedback/sources/{source.id}"


def _batch_path(world: dict[str, Any], role: str) -> str:
    batch = db.session.scalar(sa.select(ImportBatch).where(ImportBatch.source == "access-test"))
    if batch is None:
        batch = ImportBatch(source="access-test", filename="x.csv")
        db.session.add(batch)
        db.session.commit()
    return f"/feedback/batches/{batch.id}/undo"


TABLE: dict[str, Case] = {
    "feedback.ingest_upload": Case("GET", fixed("/feedback/import"), only({"hr": 200})),
    "feedback.ingest_template": Case("GET", fixed("/import/surveys/template.csv"), only({"hr": 200})),
    "feedback.ingest_confirm": Case("POST", fixed("/feedback/import/abc/confirm"), only({"hr": 400})),
    "feedback.ingest_cancel": Case("POST", fixed("/feedback/import/abc/cancel"), only({"hr": 400})),
    "feedback.batches": Case("GET", fixed("/feedback/batches"), only({"hr": 200})),
    "feedback.batch_undo": Case("POST", _batch_path, only({"hr": 400})),  # 400: no CSRF token
    "feedback.sources": Case("GET", fixed("/feedback/sources"), only({"hr": 200})),
    "feedback.source_detail": Case("GET", _source_path, only({"hr": 200})),
    # Public, authenticated by the body's signature: no signature is a 401 for everyone, never a login page.
    "feedback.webhook": Case("POST", fixed("/api/feedback/access-test"), everyone(401, anonymous=401)),
}
