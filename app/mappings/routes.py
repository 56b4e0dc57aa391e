"""HR pages for column mappings: draw one from a tool's export, preview the mapped rows, save it, import."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import allow
from app.core.models import PendingUpload
from app.core.tabular import ImportRejected
from app.extensions import db
from app.feedback import ingest
from app.feedback import routes_ingest as survey_pages
from app.mappings import services
from app.mappings.columns import Mapping
from app.mappings.forms import MappingForm, SampleForm
from app.mappings.models import ImportMapping
from app.org import routes as org_pages

bp = Blueprint("mappings", __name__)
SAMPLE_KIND = "mapping"


@bp.route("/import/mappings", methods=["GET", "POST"])
@allow("hr")
def index():
    """List the saved mappings; upload a tool's export to draw a new one from its columns."""
    form = SampleForm()
    saved = list(db.session.scalars(sa.select(ImportMapping).order_by(ImportMapping.kind, ImportMapping.name)))
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("mappings/index.html", form=form, mappings=saved), 400
        upload = form.file.data
        pending = PendingUpload(
            kind=f"{SAMPLE_KIND}:{form.kind.data}",
            filename=(upload.filename or "export.csv")[:255],
            content=upload.read(),
            user_id=current_user.id,
        )
        db.session.add(pending)
        db.session.commit()
        return redirect(url_for("mappings.new", token=pending.token, header_rows=form.header_rows.data))
    return render_template("mappings/index.html", form=form, mappings=saved)


def _sample(token: str | None) -> PendingUpload | None:
    if not token:
        return None
    pending = db.session.scalar(
        sa.select(PendingUpload).where(
            PendingUpload.token == token,
            PendingUpload.kind.startswith(SAMPLE_KIND + ":"),
            PendingUpload.user_id == current_user.id,
        )
    )
    if pending is None:
        abort(404)
    return pending


@bp.route("/import/mappings/new/<token>", methods=["GET", "POST"])
@allow("hr")
def new(token: str):
    """Map a sample export's columns to Primo's fields, preview the mapped rows, save the mapping."""
    sample = _sample(token)
    return _editor(sample.kind.partition(":")[2], sample, None)


@bp.route("/import/mappings/<int:mapping_id>", methods=["GET", "POST"])
@allow("hr")
def edit(mapping_id: int):
    """Change a saved mapping (with a sample export, optionally, to preview it)."""
    mapping = db.session.get(ImportMapping, mapping_id)
    if mapping is None:
        abort(404)
    return _editor(mapping.kind, _sample(request.args.get("upload")), mapping)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _posted_spec(form: MappingForm, count: int) -> tuple[Mapping, list[str]]:
    """The mapping the page describes, and the lines of its text boxes that cannot be read."""
    problems: list[str] = []
    pairs = []
    for index in range(count):
        column = request.form.get(f"column-{index}", "")
        pairs += [(column, name) for name in request.form.getlist(f"field-{index}") if name]
    values: dict[str, dict[str, str]] = {}
    for number, line in enumerate(_lines(form.values.data), start=1):
        name, colon, rest = line.partition(":")
        before, equals, after = rest.rpartition("=")
        if not colon or not equals or not before.strip():
            problems.append(_("Value mappings, line %(line)d: write field: file value = Primo value.", line=number))
            continue
        values.setdefault(name.strip(), {})[before.strip()] = after.strip()
    constants: dict[str, str] = {}
    for number, line in enumerate(_lines(form.constants.data), start=1):
        name, equals, value = line.partition("=")
        if not equals:
            problems.append(_("Constant values, line %(line)d: write field = value.", line=number))
            continue
        constants[name.strip()] = value.strip()
    spec = Mapping(
        columns=tuple(pairs),
        values=values,
        constants=constants,
        date_format=(form.date_format.data or "").strip(),
        timezone=(form.timezone.data or "").strip(),
        header_rows=form.header_rows.data or 1,
    )
    return spec, problems


def _text_of(spec: Mapping) -> tuple[str, str]:
    values = "\n".join(f"{name}: {k} = {v}" for name, pairs in spec.values.items() for k, v in pairs.items())
    return values, "\n".join(f"{name} = {value}" for name, value in spec.constants.items())


def _editor(kind: str, sample: PendingUpload | None, mapping: ImportMapping | None):
    if kind not in services.TARGETS:
        abort(404)
    target = services.TARGETS[kind]
    if request.method == "GET":
        spec = services.spec_of(mapping) if mapping else Mapping(columns=(), header_rows=_header_rows())
        values, constants = _text_of(spec)
        form = MappingForm(
            name=mapping.name if mapping else "",
            source=(mapping.source if mapping else "") or "",
            header_rows=spec.header_rows,
            date_format=spec.date_format,
            timezone=spec.timezone,
            values=values,
            constants=constants,
        )
    else:
        form = MappingForm()
        spec = Mapping(columns=(), header_rows=form.header_rows.data or 1)
    context = {"kind": kind, "form": form, "sample": sample, "mapping": mapping, "fields": target.fields}
    problems: list[str] = []
    names: list[str] = []
    if sample is not None:
        try:
            names = services.file_columns(sample.content, sample.filename, kind, form.header_rows.data or 1)
        except ImportRejected as exc:
            problems += [str(e) for e in exc.errors]
    if request.method == "POST":
        count = int(request.form.get("columns", "0") or 0)
        if not form.validate_on_submit():
            problems.append(_("Check the fields marked in red."))
        spec, unread = _posted_spec(form, min(count, 1000))
        problems += unread
    mapped = {}
    for column, name in spec.columns:
        mapped.setdefault(column, []).append(name)
    rows = [(name, mapped.get(name, [])) for name in names]
    rows += [(column, chosen) for column, chosen in mapped.items() if column not in names]
    context.update(rows=rows, problems=problems)
    if request.method == "GET" or problems:
        return render_template("mappings/edit.html", **context), 400 if problems else 200
    source = (form.source.data or "").strip() or None
    if request.form.get("action") == "save":
        try:
            saved = services.save_mapping(form.name.data, kind, spec, source, mapping)
        except services.MappingInvalid as exc:
            db.session.rollback()
            return render_template("mappings/edit.html", **{**context, "problems": exc.problems}), 400
        db.session.commit()
        flash(_("Mapping %(name)s saved.", name=saved.name), "success")
        if sample is None:
            return redirect(url_for("mappings.index"))
        return _import_preview(kind, sample, saved, context)
    found = services.problems(kind, spec)
    if found or sample is None:
        return render_template("mappings/edit.html", **{**context, "problems": found}), 400 if found else 200
    return render_template("mappings/edit.html", **context, **_preview(kind, sample, spec, source))


def _header_rows() -> int:
    try:
        return max(1, min(int(request.args.get("header_rows", 1)), 10))
    except ValueError:
        return 1


def _preview(kind: str, sample: PendingUpload, spec: Mapping, source: str | None) -> dict:
    """The sample read through the mapping: its first rows in Primo's columns, and what the import would do, or
    every problem it would report (nothing is written)."""
    preview: dict = {"previewed": True, "errors": None, "summary": None, "plan": None}
    try:
        preview["mapped"] = services.mapped_rows(sample.content, sample.filename, kind, spec)
        if kind == "surveys":
            preview["summary"] = ingest.import_responses(
                sample.content, sample.filename, source or ingest.DEFAULT_SOURCE, mapping=spec
            )
        else:
            preview["plan"] = services.plan_employees(sample.content, sample.filename, spec)[0]
    except ImportRejected as exc:
        preview["errors"] = exc.errors
    except ingest.IngestError as exc:
        preview["errors"] = [str(exc)]
    finally:
        db.session.rollback()
    return preview


def _import_preview(kind: str, sample: PendingUpload, mapping: ImportMapping, context: dict):
    """Go on to the import's own preview of the sample, read through the saved mapping."""
    content, filename = sample.content, sample.filename
    try:
        if kind == "surveys":
            page = survey_pages.preview_upload(content, filename, mapping.source or ingest.DEFAULT_SOURCE, mapping)
        else:
            page = org_pages.preview_upload(kind, content, filename, mapping)
    except (ImportRejected, ingest.IngestError) as exc:
        errors = getattr(exc, "errors", None) or [str(exc)]
        return render_template("mappings/edit.html", **{**context, "errors": errors, "previewed": True}), 400
    db.session.delete(sample)  # the import keeps its own copy until it is confirmed
    db.session.commit()
    return page
