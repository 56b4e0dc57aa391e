"""HR's scheme designer: the list of schemes and versions, the form per part with live curve previews, JSON import
and export, and the publication of objectives."""

from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.auth.access import allow
from app.core.downloads import download
from app.extensions import db
from app.feedback.models import KpiDefinition
from app.incentives import charts, objectives, wording
from app.incentives.blueprint import bp
from app.incentives.forms import (
    ImportSchemeForm,
    PublishForm,
    SchemeForm,
    apply_errors,
    document_data,
    form_data,
)
from app.incentives.models import BonusRun, ObjectivePublication, Scheme, SchemeVersion
from app.incentives.routes_common import conflict, currency, curve_preview
from app.incentives.scheme_format import BUILTIN_KPIS, SchemeFormatError, read_document, write_document
from app.incentives.schemes import document_of, find_scheme, save_document
from app.org.models import Region, Store

BUILTIN_LABELS = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "followup_48h": "Follow-up within 48 h",
    "turnover": "Turnover % (lower is better)",
    "absenteeism": "Absenteeism % (lower is better)",
    "response_rate": "Response rate %",
}


def _scheme_or_404(code: str) -> Scheme:
    scheme = find_scheme(code)
    if scheme is None or not scheme.versions:
        abort(404)
    return scheme


def _version_of(scheme: Scheme, number: int | None) -> SchemeVersion:
    if number is None:
        return scheme.latest
    for version in scheme.versions:
        if version.version == number:
            return version
    abort(404)


def _setup(form: SchemeForm, document: dict | None = None) -> None:
    """Fill the choices that come from the database (KPIs, stores, regions), keeping any the document names."""
    kpis = [SelectChoice("", _("— not used —"))]
    kpis += [SelectChoice(code, BUILTIN_LABELS.get(code, code)) for code in BUILTIN_KPIS]
    kpis += [
        SelectChoice(d.code, f"{d.name} ({d.code})")
        for d in db.session.scalars(sa.select(KpiDefinition).order_by(KpiDefinition.code))
        if d.code not in BUILTIN_KPIS
    ]
    known = {c.value for c in kpis}
    eligibility = (document or {}).get("eligibility") or {}
    for c in (document or {}).get("components", []):
        if c.get("kpi") and c["kpi"] not in known:
            kpis.append(SelectChoice(c["kpi"], c["kpi"]))
    for entry in form.components:
        entry.form.kpi.choices = kpis
    stores = list(db.session.scalars(sa.select(Store.code).order_by(Store.code)))
    regions = list(db.session.scalars(sa.select(Region.name).order_by(Region.name)))
    stores += [s for s in eligibility.get("stores") or [] if s not in stores]
    regions += [r for r in eligibility.get("regions") or [] if r not in regions]
    form.stores.choices = [SelectChoice(s, s) for s in stores]
    form.regions.choices = [SelectChoice(r, r) for r in regions]


def _previews(form: SchemeForm) -> list[tuple]:
    previews = []
    for entry in form.components:
        sub = entry.form
        values = {name: getattr(sub, name).data for name in ("kpi", "direction", "curve_type")}
        values.update(
            {name: getattr(sub, name).data for name in ("threshold", "floor", "target", "maximum", "ceiling")}
        )
        for row, step in enumerate(sub.steps):
            values[f"steps-{row}-threshold"] = step.form.threshold.data
            values[f"steps-{row}-achievement"] = step.form.achievement.data
        previews.append(curve_preview(values.get))
    return previews


@bp.route("/schemes")
@allow("hr")
def schemes():
    """List the schemes with their versions: frozen or not, runs and publications."""
    all_schemes = list(db.session.scalars(sa.select(Scheme).order_by(Scheme.code)))
    runs = dict(
        db.session.execute(sa.select(BonusRun.version_id, sa.func.count()).group_by(BonusRun.version_id)).tuples().all()
    )
    publications = dict(
        db.session.execute(
            sa.select(ObjectivePublication.version_id, sa.func.count()).group_by(ObjectivePublication.version_id)
        )
        .tuples()
        .all()
    )
    return render_template("incentives/schemes.html", schemes=all_schemes, runs=runs, publications=publications)


def _render_designer(form: SchemeForm, scheme: Scheme | None, general: list[str] | None = None, status: int = 200):
    return (
        render_template(
            "incentives/designer.html",
            form=form,
            scheme=scheme,
            previews=_previews(form),
            general=general or [],
        ),
        status,
    )


def _save(form: SchemeForm, scheme: Scheme | None):
    """Check the form through read_document and save it (a frozen version gets a successor)."""
    if not form.validate_on_submit():
        return _render_designer(form, scheme, status=400)
    data, layout = document_data(form)
    if scheme is None and find_scheme(data["code"]) is not None:
        form.code.errors = [*form.code.errors, _("A scheme with this code already exists: edit it instead.")]
        return _render_designer(form, scheme, status=400)
    if scheme is not None and data["code"] != scheme.code:
        form.code.errors = [*form.code.errors, _("The code of a scheme cannot change.")]
        return _render_designer(form, scheme, status=400)
    try:
        document = read_document(data)
    except SchemeFormatError as exc:
        general = apply_errors(form, exc.errors, layout)
        return _render_designer(form, scheme, general, status=400)
    version, outcome = save_document(document)
    db.session.commit()
    for warning in document.warnings:
        flash(_("Warning: %(warning)s", warning=warning), "warning")
    flash(_outcome_message(document.code, version.version, outcome), "success")
    return redirect(url_for("incentives.scheme_detail", code=document.code, version=version.version))


@bp.route("/schemes/new", methods=["GET", "POST"])
@allow("hr")
def scheme_new():
    """Design a new scheme: a fieldset per part, a live preview of each curve."""
    form = SchemeForm()
    _setup(form)
    if request.method == "POST":
        return _save(form, None)
    return _render_designer(form, None)


@bp.route("/schemes/<code>/edit", methods=["GET", "POST"])
@allow("hr")
def scheme_edit(code: str):
    """Edit a scheme's latest version; a frozen one is kept and the edit becomes the next version."""
    scheme = _scheme_or_404(code)
    document = scheme.latest.document
    if request.method == "POST":
        form = SchemeForm()
        _setup(form, document)
        return _save(form, scheme)
    form = SchemeForm(data=form_data(document))
    _setup(form, document)
    return _render_designer(form, scheme)


@bp.route("/schemes/curve-preview")
@allow("hr")
def curve_preview_fragment():
    """The SVG of a curve from the designer's fields (read-only), for incentives.js to swap in."""
    chart, problems = curve_preview(request.args.get)
    return render_template("incentives/_curve_preview.html", chart=chart, problems=problems)


@bp.route("/schemes/<code>")
@allow("hr")
def scheme_detail(code: str):
    """Show one version: its parts in plain words, its curves, its publications and its runs."""
    scheme = _scheme_or_404(code)
    version = _version_of(scheme, request.args.get("version", type=int))
    return _render_detail(scheme, version, _publish_form(scheme, version))


def _publish_form(scheme: Scheme, version: SchemeVersion) -> PublishForm:
    form = PublishForm()
    form.version.choices = [SelectChoice(v.version, f"v{v.version}") for v in reversed(scheme.versions)]
    if form.version.data is None:
        form.version.data = version.version
    return form


def _render_detail(scheme: Scheme, version: SchemeVersion, publish: PublishForm, status: int = 200):
    document = document_of(version)
    text = wording.objectives_text(
        document,
        "chaque période",  # the French text of record, previewed for any period
        {"month": 1, "quarter": 3, "year": 12}[document.period_type],
        "fr",
        currency(),
        custom=objectives.custom_kpi_names(),
    )
    curves = [
        charts.curve_chart(
            c.curve,
            c.direction,
            title=_("Payout curve of %(key)s", key=c.key),
            kpi_code=c.kpi_code,
            x_label=c.kpi_code.upper(),
        )
        for c in document.components
    ]
    version_ids = [v.id for v in scheme.versions]
    publications = list(
        db.session.scalars(
            sa.select(ObjectivePublication)
            .where(ObjectivePublication.version_id.in_(version_ids))
            .order_by(ObjectivePublication.period.desc())
        )
    )
    runs = list(
        db.session.scalars(
            sa.select(BonusRun)
            .where(BonusRun.version_id.in_(version_ids))
            .order_by(BonusRun.period.desc(), BonusRun.id.desc())
        )
    )
    return (
        render_template(
            "incentives/scheme_detail.html",
            scheme=scheme,
            version=version,
            document=document,
            text=text,
            curves=curves,
            publications=publications,
            runs=runs,
            publish=publish,
        ),
        status,
    )


def _outcome_message(code: str, number: int, outcome: str) -> str:
    return {
        "created": _("Scheme %(code)s created (version %(v)d).", code=code, v=number),
        "updated": _("Version %(v)d of %(code)s saved.", code=code, v=number),
        "unchanged": _("Nothing changed: version %(v)d of %(code)s is the same.", code=code, v=number),
        "new version": _("Version %(v)d of %(code)s created: the previous version is frozen.", code=code, v=number),
    }[outcome]


@bp.route("/schemes/<code>/export.json")
@allow("hr")
def scheme_export(code: str):
    """Download a version as its JSON document (the import format)."""
    scheme = _scheme_or_404(code)
    version = _version_of(scheme, request.args.get("version", type=int))
    body = json.dumps(write_document(document_of(version), version.version), ensure_ascii=False, indent=2)
    filename = f"{scheme.code}-v{version.version}.json"
    return download(body + "\n", filename, "application/json")


@bp.route("/schemes/import", methods=["GET", "POST"])
@allow("hr")
def scheme_import():
    """Upload a scheme document (JSON): a new scheme, an edit of a draft version, or version n+1."""
    form = ImportSchemeForm()
    if request.method == "GET":
        return render_template("incentives/import.html", form=form, errors=[])
    if not form.validate_on_submit():
        return render_template("incentives/import.html", form=form, errors=[]), 400
    try:
        data = json.loads(form.file.data.read().decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested too deeply
        return render_template("incentives/import.html", form=form, errors=[_("Not JSON: %(e)s", e=str(exc))]), 400
    try:
        document = read_document(data)
    except SchemeFormatError as exc:
        db.session.rollback()
        return render_template("incentives/import.html", form=form, errors=exc.errors), 400
    version, outcome = save_document(document)
    db.session.commit()
    for warning in document.warnings:
        flash(_("Warning: %(warning)s", warning=warning), "warning")
    flash(_outcome_message(document.code, version.version, outcome), "success")
    return redirect(url_for("incentives.scheme_detail", code=document.code, version=version.version))


@bp.route("/schemes/<code>/publish", methods=["POST"])
@allow("hr")
def scheme_publish(code: str):
    """Publish a version's objectives for a period to every eligible employee (the version freezes)."""
    scheme = _scheme_or_404(code)
    form = PublishForm()
    form.version.choices = [SelectChoice(v.version, f"v{v.version}") for v in reversed(scheme.versions)]
    if not form.validate_on_submit():
        return _render_detail(scheme, scheme.latest, form, 400)
    version = _version_of(scheme, form.version.data)
    try:
        publication = objectives.publish(version, form.period.data)
    except objectives.AlreadyPublished as exc:
        db.session.rollback()
        conflict(str(exc))
    except objectives.ObjectivesError as exc:
        db.session.rollback()
        form.period.errors = [*form.period.errors, str(exc)]
        return _render_detail(scheme, version, form, 400)
    db.session.commit()
    flash(
        _(
            "Objectives of %(code)s v%(v)d published for %(period)s.",
            code=code,
            v=version.version,
            period=publication.period,
        ),
        "success",
    )
    return redirect(url_for("incentives.publication_detail", publication_id=publication.id))
