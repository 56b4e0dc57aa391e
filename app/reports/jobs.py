"""Render jobs: a row per background rendering (store an approved run's statements, or a bulk ZIP / merged PDF),
queued on Huey once the row is committed (app.reports.queue), run by the queue consumer, with progress readable by
the run page.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from app.audit.services import current_actor, record
from app.core import labels
from app.dbtypes import utcnow
from app.extensions import db
from app.incentives.models import BonusRun
from app.notify import events as notify_events
from app.org.models import Employee
from app.reports.models import RenderJob
from app.reports.statements import documents, sources
from app.webhooks import events as webhook_events

KINDS = ("store", "zip", "pdf")
ACTIVE = ("queued", "running")
PENDING_KEY = "primo_render_jobs"


class JobError(ValueError):
    """A rendering that cannot be queued."""


def _schedule(job: RenderJob) -> None:
    """Enqueue the job once the transaction that created it commits (a rollback forgets it): see queue.init_app."""
    db.session.info.setdefault(PENDING_KEY, []).append(job.id)


def create_job(
    run: BonusRun, kind: str, stores: Sequence[str] | None = None, requested_by: str | None = None
) -> RenderJob:
    """Queue a rendering of a run's statements, of every store's team or of the stores given (enqueued when the
    caller commits). Whoever calls it has checked that the requester may read those statements."""
    if kind not in KINDS:
        raise JobError(f"kind: one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "store" and not documents.is_final(run):
        raise JobError(f"run {run.id} is {run.status}: statements are stored once the run is approved")
    if stores is not None and not stores:
        raise JobError("store: no store to render")
    employees = sources.run_employee_ids(run, stores)
    if stores is not None and not employees:
        raise JobError(f"store: run {run.id} pays nobody in store {', '.join(stores)}")
    job = RenderJob(
        run_id=run.id,
        kind=kind,
        store_code=stores[0] if stores is not None and len(stores) == 1 else None,
        store_codes=list(stores) if stores is not None else None,
        status="queued",
        total=len(employees),
        done=0,
        requested_by=requested_by if requested_by is not None else current_actor()[1],
    )
    db.session.add(job)
    db.session.flush()
    _schedule(job)
    return job


def queue_statements_for(run: BonusRun) -> RenderJob:
    """Queue the rendering and storing of an approved run's statements (PDF and Excel, with their SHA-256).

    Call it in the approval transaction, before the commit: the job reaches the queue only once it commits.
    """
    job = create_job(run, "store")
    record("run.statements_queued", "run", run.id, summary=f"render job {job.id}: {job.total} statements")
    return job


def jobs_of(run_id: int, limit: int = 10) -> list[RenderJob]:
    return list(
        db.session.scalars(
            sa.select(RenderJob).where(RenderJob.run_id == run_id).order_by(RenderJob.id.desc()).limit(limit)
        )
    )


def _progress_writer(job: RenderJob, every: float = 0.5) -> Callable[[int], None]:
    """Record progress and commit (which also keeps statements stored so far), at most every `every` seconds."""
    last = [0.0]

    def write(done: int) -> None:
        job.done = done
        now = time.monotonic()
        if now - last[0] >= every or done >= job.total:
            db.session.commit()
            last[0] = now

    return write


def run_job(job_id: int) -> None:
    """Carry out a render job (in the queue consumer): running → done, or failed with the reason."""
    job = db.session.get(RenderJob, job_id)
    if job is None:
        raise LookupError(f"render job {job_id} not found")  # retried: its row may not be visible yet
    if job.status not in ACTIVE:
        return
    run = db.session.get(BonusRun, job.run_id)
    job.status = "running"
    db.session.commit()
    progress = _progress_writer(job)
    try:
        if run is None:
            raise JobError(f"run {job.run_id} no longer exists")
        if job.kind == "store":
            ids = sources.run_employee_ids(run)
            job.total = len(ids)
            documents.store_statements(run, ids, progress)
            notify_events.statements_ready(run.id, run.period, ids)
            numbers = db.session.scalars(sa.select(Employee.number).where(Employee.id.in_(ids)))
            webhook_events.statements_ready(run, list(numbers))
        else:

            def total(n: int) -> None:
                job.total = n

            job.result = documents.bulk_statements(run, job.kind, job.store_codes, progress, total)
        job.done = job.total
        job.status = "done"
        job.finished_at = utcnow()
        db.session.commit()
    except Exception as exc:  # a failed job says why on the page; the consumer stays up
        db.session.rollback()
        job = db.session.get(RenderJob, job_id)
        assert job is not None
        job.status = "failed"
        job.error = str(exc)[:2000] or type(exc).__name__
        job.finished_at = utcnow()
        db.session.commit()


def as_json(job: RenderJob, download_url: str | None) -> dict[str, object]:
    return {
        "id": job.id,
        "kind": job.kind,
        "kind_label": labels.label("render_kind", job.kind),
        "store_code": job.store_code,
        "store_codes": job.store_codes,
        "status": job.status,
        "status_label": labels.label("render_status", job.status),
        "done": job.done,
        "total": job.total,
        "error": job.error,
        "download_url": download_url,
    }
