"""Statement documents of runs: stored once for approved runs, rendered on demand for the others, and in bulk.

Services flush and never commit; the route, CLI command or queue job commits. An approved (or exported) run's
statement is rendered once, from its stored trace, and its bytes and SHA-256 kept, so that a download years later
returns exactly the same file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.dbtypes import utcnow
from app.extensions import db
from app.incentives.models import PAID_STATUSES, BonusRun
from app.org.models import Employee
from app.reports.models import StatementDocument
from app.reports.statements import bulk, sources
from app.reports.statements.data import StatementData
from app.reports.statements.html import build_statement_html
from app.reports.statements.pdf import build_statement_pdf
from app.reports.statements.xlsx import build_statement_xlsx

FORMATS = ("pdf", "xlsx")
MIMETYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
BUILDERS: dict[str, Callable[[StatementData], bytes]] = {"pdf": build_statement_pdf, "xlsx": build_statement_xlsx}


class DocumentError(ValueError):
    """A statement that cannot be produced (unknown format, no line for the employee, …)."""


def is_final(run: BonusRun) -> bool:
    return run.status in PAID_STATUSES


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def stored(run_id: int, employee_id: int, fmt: str) -> StatementDocument | None:
    return db.session.scalar(
        sa.select(StatementDocument).where(
            StatementDocument.run_id == run_id,
            StatementDocument.employee_id == employee_id,
            StatementDocument.format == fmt,
        )
    )


def stored_employee_ids(run_id: int, fmt: str) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(StatementDocument.employee_id).where(
                StatementDocument.run_id == run_id, StatementDocument.format == fmt
            )
        )
    )


def _document(data: StatementData, fmt: str, content: bytes) -> StatementDocument:
    return StatementDocument(
        run_id=data.run_id,
        employee_id=data.employee_id,
        format=fmt,
        language=data.language,
        content=content,
        sha256=sha256(content),
        created_at=data.generated_at,
    )


@dataclass(frozen=True)
class Statement:
    """The bytes of one statement and, when it is the stored copy, its row."""

    content: bytes
    fmt: str
    data: StatementData | None
    document: StatementDocument | None

    @property
    def sha256(self) -> str:
        return self.document.sha256 if self.document else sha256(self.content)


def obtain(run: BonusRun, employee: Employee, fmt: str) -> Statement:
    """One employee's statement for a run in `fmt`: the stored copy of an approved run (stored now, both formats,
    if the queued rendering has not yet run), or a fresh rendering of a draft or submitted run."""
    if fmt not in FORMATS:
        raise DocumentError(f"format: pdf or xlsx, not {fmt!r}")
    if is_final(run) and (found := stored(run.id, employee.id, fmt)) is not None:
        return Statement(found.content, fmt, None, found)
    try:
        data = sources.statement_for(run, employee)
    except sources.StatementNotFound as exc:
        raise DocumentError(str(exc)) from None
    if not is_final(run):
        return Statement(BUILDERS[fmt](data), fmt, data, None)
    rows = {f: _document(data, f, BUILDERS[f](data)) for f in FORMATS if stored(run.id, employee.id, f) is None}
    try:
        db.session.add_all(rows.values())
        db.session.flush()
    except IntegrityError:
        # Another request or the queue worker stored it first: theirs is the copy of record.
        db.session.rollback()
        found = stored(run.id, employee.id, fmt)
        assert found is not None
        return Statement(found.content, fmt, None, found)
    document = rows.get(fmt) or stored(run.id, employee.id, fmt)
    assert document is not None
    return Statement(document.content, fmt, data, document)


def filename(run: BonusRun, employee: Employee, fmt: str) -> str:
    return f"statement-{run.id}-{employee.number}.{fmt}"


# --- many statements -----------------------------------------------------------------------------------------


Progress = Callable[[int], None]


def _zip_name(data: StatementData) -> str:
    store = data.parts[-1].store_code if data.parts else "adjustments"
    return f"{store}/{data.filename_stem}.pdf"


def store_statements(
    run: BonusRun, employee_ids: Sequence[int], progress: Progress | None = None, batch: int = 20
) -> int:
    """Render and store the PDF and Excel statements of an approved run that are not stored yet; return how many.

    Flushes every `batch` statements and calls `progress(done)` after each flush, so the caller can commit there.
    """
    if not is_final(run):
        raise DocumentError(f"run {run.id} is {run.status}: only an approved run's statements are stored")
    have = stored_employee_ids(run.id, "pdf") & stored_employee_ids(run.id, "xlsx")
    todo = [i for i in employee_ids if i not in have]
    done = len(employee_ids) - len(todo)
    if progress:
        progress(done)
    datas = sources.statements_for(run, todo)
    pending: list[StatementDocument] = []
    for data, content in zip(datas, bulk.render_ordered(build_statement_html(d) for d in datas), strict=True):
        for fmt, payload in (("pdf", content), ("xlsx", build_statement_xlsx(data))):
            if stored(run.id, data.employee_id, fmt) is None:
                pending.append(_document(data, fmt, payload))
        done += 1
        if len(pending) >= 2 * batch:
            _add(pending)
            pending = []
            if progress:
                progress(done)
    _add(pending)
    if progress:
        progress(done)
    return len(datas)


def _add(documents_: list[StatementDocument]) -> None:
    """Flush new documents; if a download stored some of them meanwhile, keep those and add the rest.

    The caller commits after every batch (progress), so a rollback here loses nothing but this batch.
    """
    try:
        db.session.add_all(documents_)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        for document in documents_:
            if stored(document.run_id, document.employee_id, document.format) is None:
                db.session.add(document)
        db.session.flush()


def _pdfs(run: BonusRun, datas: Sequence[StatementData], progress: Progress | None) -> Iterator[bytes]:
    """Each statement's PDF in order: the stored copy for an approved run, otherwise a rendering by the pool."""
    kept = {}
    if is_final(run):
        kept = {
            employee_id: content
            for employee_id, content in db.session.execute(
                sa.select(StatementDocument.employee_id, StatementDocument.content).where(
                    StatementDocument.run_id == run.id,
                    StatementDocument.format == "pdf",
                    StatementDocument.employee_id.in_([d.employee_id for d in datas]),
                )
            )
        }
    fresh = bulk.render_ordered(build_statement_html(d) for d in datas if d.employee_id not in kept)
    for index, data in enumerate(datas, start=1):
        yield kept[data.employee_id] if data.employee_id in kept else next(fresh)
        if progress:
            progress(index)


def bulk_statements(
    run: BonusRun,
    fmt: str = "zip",
    stores: Sequence[str] | None = None,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
) -> bytes:
    """Every statement of a run (or of some stores' teams) as a ZIP of PDFs or one merged PDF."""
    if fmt not in ("zip", "pdf"):
        raise DocumentError(f"format: zip or pdf, not {fmt!r}")
    ids = sources.run_employee_ids(run, stores)
    if not ids:
        where = f" in store {', '.join(stores)}" if stores else ""
        raise DocumentError(f"run {run.id} has no statement{where}")
    if total:
        total(len(ids))
    datas = sources.statements_for(run, ids, generated_at=utcnow())
    if fmt == "pdf":
        return bulk.merge_html((build_statement_html(d) for d in datas), progress)
    pdfs = _pdfs(run, datas, progress)
    return bulk.zip_documents((_zip_name(d), content) for d, content in zip(datas, pdfs, strict=True))
