"""HR pages for survey imports (upload, preview, confirm), import batches (undo) and webhook sources."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.access import allow
from app.auth.forms import ActionForm
from app.core.downloads import download
from app.core.models import PendingUpload
from app.core.tabular import ImportRejected
from app.extensions import db
from app.feedback import flags, ingest, survey_rows
from app.feedback.blueprint import bp
from app.feedback.forms_ingest import SourceForm, SourceRefsForm, SurveyUploadForm
from app.feedback.models import FeedbackSource, ImportBatch
from app.feedback.paid_months import month_label
from app.feedback.sources import create_source, update_source_refs
from app.mappings import services as mappings
from app.mappings.models import ImportMapping


def _upload_page(form: SurveyUploadForm, errors=None, status: int = 200):
    form.mapping.choices = [SelectChoice("", _("None: the file has Primo's columns"))] + [
        SelectChoice(m.name, m.name) for m in mappings.mappings_of("surveys")
    ]
    return render_template(
        "feedback/ingest_upload.html",
        form=form,
        columns=survey_rows.COLUMNS,
        optional=survey_rows.CONTACT_COLUMNS,
        errors=errors,
    ), status


@bp.route("/import/surveys/template.csv")
@allow("hr")
def ingest_template():
    """Download a survey file with every column and two example rows, as French Excel opens it."""
    return download(survey_rows.template(), "surveys-template.csv", "text/csv")


@bp.route("/feedback/import", methods=["GET", "POST"])
@allow("hr")
def ingest_upload():
    """Upload a survey file and show what it would add before anything is written."""
    form = SurveyUploadForm()
    if request.method == "GET":
        return _upload_page(form)
    if not form.validate_on_submit():
        return _upload_page(form, status=400)
    upload = form.file.data
    mapping = None
    if form.mapping.data:
        try:
            mapping = mappings.find_mapping(form.mapping.data, "surveys")
        except mappings.MappingNotFound as exc:
            form.mapping.errors = [str(exc)]
            return _upload_page(form, status=400)
    try:
        return preview_upload(upload.read(), upload.filename or "surveys.csv", form.source.data.strip(), mapping)
    except ImportRejected as exc:
        return _upload_page(form, errors=exc.errors, status=400)
    except ingest.IngestError as exc:
        form.source.errors = [str(exc)]
        return _upload_page(form, status=400)


def preview_upload(content: bytes, filename: str, source: str, mapping: ImportMapping | None = None) -> str:
    """Show what a survey file (read through `mapping`, if any) would add, keeping the file for the confirmation;
    raises ImportRejected or IngestError, having rolled back."""
    spec = mappings.spec_of(mapping) if mapping else None
    try:
        summary = ingest.import_responses(content, filename, source, mapping=spec)
    finally:
        # A preview: nothing of the trial import stays; the file waits for the confirmation.
        db.session.rollback()
    pending = PendingUpload(
        kind=f"{ingest.UPLOAD_KIND}:{source}",
        filename=filename[:255],
        content=content,
        user_id=current_user.id,
        mapping_id=mapping.id if mapping else None,
    )
    db.session.add(pending)
    db.session.commit()
    return render_template(
        "feedback/ingest_preview.html",
        summary=summary,
        pending=pending,
        source=source,
        mapping=mapping,
        action=ActionForm(),
    )


def _pending(token: str) -> PendingUpload:
    pending = db.session.scalar(
        sa.select(PendingUpload).where(
            PendingUpload.token == token,
            PendingUpload.kind.startswith(ingest.UPLOAD_KIND + ":"),
            PendingUpload.user_id == current_user.id,
        )
    )
    if pending is None:
        abort(404)
    return pending


@bp.route("/feedback/import/<token>/confirm", methods=["POST"])
@allow("hr")
def ingest_confirm(token: str):
    """Import a previewed file; it is checked again, so a file that went stale is refused whole."""
    if not ActionForm().validate_on_submit():
        abort(400)
    pending = _pending(token)
    source = pending.kind.partition(":")[2]
    mapping = db.session.get(ImportMapping, pending.mapping_id) if pending.mapping_id else None
    spec = mappings.spec_of(mapping) if mapping else None
    try:
        summary = ingest.import_responses(pending.content, pending.filename, source, mapping=spec)
    except ImportRejected as exc:
        db.session.rollback()
        return _upload_page(SurveyUploadForm(source=source), errors=exc.errors, status=400)
    except ingest.IngestError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("feedback.ingest_upload"))
    db.session.delete(pending)
    db.session.commit()
    flash(
        _(
            "Import %(batch)d done: %(new)d new, %(skipped)d already imported (skipped), %(cases)d follow-up case(s).",
            batch=summary.batch_id,
            new=summary.new,
            skipped=summary.skipped,
            cases=summary.cases,
        ),
        "success",
    )
    return redirect(url_for("feedback.batches"))


@bp.route("/feedback/import/<token>/cancel", methods=["POST"])
@allow("hr")
def ingest_cancel(token: str):
    """Forget a previewed file (it holds customer details)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    db.session.delete(_pending(token))
    db.session.commit()
    flash(_("The file was discarded; nothing was imported."), "success")
    return redirect(url_for("feedback.ingest_upload"))


@bp.route("/feedback/batches")
@allow("hr")
def batches():
    """List the survey imports, newest first, each with its counts and an undo button."""
    page = db.paginate(sa.select(ImportBatch).order_by(ImportBatch.id.desc()), per_page=25)
    return render_template("feedback/batches.html", page=page, action=ActionForm())


@bp.route("/feedback/batches/<int:batch_id>/undo", methods=["POST"])
@allow("hr")
def batch_undo(batch_id: int):
    """Undo an import: its responses, their contacts and cases go; refused once bonus runs read its months."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        counts = ingest.undo_batch(batch_id)
        flags.after_undo()
    except ingest.BatchNotFound:
        abort(404)
    except ingest.BatchLocked as exc:
        db.session.rollback()
        batch = db.session.get(ImportBatch, batch_id)
        months = [month_label(m) for m in exc.months]
        return render_template("feedback/batches_refused.html", batch=batch, months=months), 409
    except ingest.IngestError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        page = db.paginate(sa.select(ImportBatch).order_by(ImportBatch.id.desc()), per_page=25)
        return render_template("feedback/batches.html", page=page, action=ActionForm()), 409
    db.session.commit()
    flash(
        _(
            "Import %(batch)d undone: %(responses)d responses and %(cases)d follow-up case(s) deleted.",
            batch=batch_id,
            responses=counts["responses"],
            cases=counts["cases"],
        ),
        "success",
    )
    return redirect(url_for("feedback.batches"))


def _sources() -> list[FeedbackSource]:
    return list(db.session.scalars(sa.select(FeedbackSource).order_by(FeedbackSource.name)))


@bp.route("/feedback/sources", methods=["GET", "POST"])
@allow("hr")
def sources():
    """List the webhook sources and register a new one; its secret is shown once, on this answer only."""
    form = SourceForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("feedback/sources.html", sources=_sources(), form=form), 400
        try:
            source = create_source(form.source_name.data, form.format.data, form.refs())
        except ingest.IngestError as exc:
            db.session.rollback()
            form.source_name.errors = [str(exc)]
            return render_template("feedback/sources.html", sources=_sources(), form=form), 400
        db.session.commit()
        # Rendered, not redirected: the secret must not travel through the (signed, not encrypted) session.
        return render_template(
            "feedback/sources.html", sources=_sources(), form=SourceForm(formdata=None), created=source
        )
    return render_template("feedback/sources.html", sources=_sources(), form=form)


@bp.route("/feedback/sources/<int:source_id>", methods=["GET", "POST"])
@allow("hr")
def source_detail(source_id: int):
    """Show a source's webhook address and edit its Typeform question refs."""
    source = db.session.get(FeedbackSource, source_id)
    if source is None:
        abort(404)
    form = SourceRefsForm(data=source.question_refs or {})
    if request.method == "POST":
        form = SourceRefsForm()
        if not form.validate_on_submit():
            return render_template("feedback/sources_detail.html", source=source, form=form), 400
        try:
            update_source_refs(source, form.refs())
        except ingest.IngestError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("feedback/sources_detail.html", source=source, form=form), 400
        db.session.commit()
        flash(_("Question refs saved."), "success")
        return redirect(url_for("feedback.source_detail", source_id=source.id))
    return render_template("feedback/sources_detail.html", source=source, form=form)
