"""HR's engagement and invitation imports, and the anomaly flags: listed for HR (every store) and managers
(their stores), excluded in bulk by HR only, with the score-begging phrases HR edits."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import allow
from app.core import clock, formatting
from app.core.downloads import download
from app.core.tabular import ImportRejected, read_table
from app.extensions import db
from app.feedback import engagement, flags
from app.feedback.anomalies import RULES
from app.feedback.blueprint import bp
from app.feedback.exclusions import REASON_LABELS, ExclusionError, ExclusionReasonError
from app.feedback.forms_fairplay import ExcludeFlaggedForm, FiguresUploadForm, PhrasesForm
from app.feedback.models import ResponseFlag
from app.org.models import Store
from app.org.scope import visible_store_ids
from app.periods import Period

IMPORTS = {
    "engagement": (engagement.ENGAGEMENT_COLUMNS, engagement.import_engagement),
    "invitations": (engagement.INVITATION_COLUMNS, engagement.import_invitations),
}


def _kind(kind: str):
    if kind not in IMPORTS:
        abort(404)
    return IMPORTS[kind]


@bp.route("/engagement/import/<kind>", methods=["GET", "POST"])
@allow("hr")
def figures_import(kind: str):
    """Import engagement figures or survey invitations per store and period, all or nothing."""
    columns, importer = _kind(kind)
    form = FiguresUploadForm()
    errors = None
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.file.data
            try:
                summary = importer(read_table(upload.read(), upload.filename or "", columns))
            except ImportRejected as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                flash(
                    _("Import done: %(new)d new, %(changed)d changed, %(unchanged)d unchanged.", **summary), "success"
                )
                return redirect(url_for("feedback.figures_import", kind=kind))
        return render_template(
            "feedback/figures_import.html", kind=kind, form=form, columns=columns, errors=errors
        ), 400
    return render_template("feedback/figures_import.html", kind=kind, form=form, columns=columns)


@bp.route("/engagement/import/<kind>/template.csv")
@allow("hr")
def figures_template(kind: str):
    """Download an empty file in the import's columns, with one example row."""
    _kind(kind)
    return download(engagement.template(kind), f"{kind}-template.csv", "text/csv")


RULE_LABELS = {
    "burst": _l("Burst of answers"),
    "same_contact": _l("Same contact answering many times"),
    "same_device": _l("Same device answering many times"),
    "silent_tens": _l("Unusual share of 10s without comment"),
    "score_begging": _l("Comment mentions being asked for a good score"),
}


def describe(flag: ResponseFlag) -> str:
    """The evidence of a flag in a sentence, times on the company's clock."""
    evidence = flag.evidence
    if flag.rule == "burst":
        return _(
            "%(n)d answers between %(first)s and %(last)s",
            n=evidence.get("answers", 0),
            first=formatting.moment(datetime.fromisoformat(evidence["first_at"])),
            last=formatting.moment(datetime.fromisoformat(evidence["last_at"])),
        )
    if flag.rule in ("same_contact", "same_device"):
        return _("%(n)d answers from the same respondent in the month", n=evidence.get("answers", 0))
    if flag.rule == "silent_tens":
        return _(
            "%(share)s %% of %(n)d answers are 10s without comment; usually %(usual)s %% (of %(usual_n)d answers "
            "over the previous 12 months)",
            share=formatting.number(Decimal(evidence["share"]), 1),
            n=evidence.get("answers", 0),
            usual=formatting.number(Decimal(evidence["usual_share"]), 1),
            usual_n=evidence.get("usual_answers", 0),
        )
    phrases = sorted({m["phrase"] for m in evidence.get("matches", {}).values()})
    return _("Phrases found: %(phrases)s", phrases=", ".join(f"« {p} »" for p in phrases))


def _render_flags(period: Period, store_id: int | None, form: ExcludeFlaggedForm | None = None, status: int = 200):
    allowed = visible_store_ids(current_user)
    if store_id is not None and allowed is not None and store_id not in allowed:
        abort(404)
    chosen = {store_id} if store_id is not None else allowed
    found = flags.flags_for(period, chosen)
    counted = flags.still_counted(found)
    stores = db.session.scalars(sa.select(Store).order_by(Store.code))
    is_hr = current_user.has_role("hr")
    form = form or ExcludeFlaggedForm(formdata=None)
    form.flags.choices = [(f.id, str(f.id)) for f in found]
    return (
        render_template(
            "feedback/flags.html",
            period=period,
            store_id=store_id,
            stores=[s for s in stores if allowed is None or s.id in allowed],
            flags=found,
            counted=counted,
            counts=Counter(f.rule for f in found),
            rules=RULES,
            rule_labels=RULE_LABELS,
            describe=describe,
            form=form if is_hr else None,
            reason_labels=REASON_LABELS,
        ),
        status,
    )


def _period_arg() -> Period:
    text = request.values.get("period", "").strip()
    return Period.parse(text) if text else Period.containing(clock.today(), "month")


def _store_arg() -> int | None:
    text = request.values.get("store", "").strip()
    return int(text) if text.isdigit() else None


@bp.route("/feedback/flags")
@allow("hr", "manager")
def flag_list():
    """List the anomaly flags of a period with their evidence; HR can exclude their responses from here."""
    return _render_flags(_period_arg(), _store_arg())


@bp.route("/feedback/flags/exclude", methods=["POST"])
@allow("hr")
def flags_exclude():
    """Exclude every still-counted response of the flags ticked, with one reason (refused on a paid month)."""
    period, store_id = _period_arg(), _store_arg()
    form = ExcludeFlaggedForm()
    if not form.validate_on_submit():
        return _render_flags(period, store_id, form, 400)
    try:
        excluded = flags.exclude_flagged(form.flags.data or [], form.reason.data, form.details.data)
    except ExclusionReasonError as exc:
        db.session.rollback()
        form.details.errors = [str(exc)]
        return _render_flags(period, store_id, form, 400)
    except ExclusionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_flags(period, store_id, form, 409)
    db.session.commit()
    flash(_("%(n)d response(s) excluded from the KPIs.", n=excluded), "success")
    return redirect(url_for("feedback.flag_list", period=str(period), store=store_id or ""))


@bp.route("/feedback/flags/phrases", methods=["GET", "POST"])
@allow("hr")
def flag_phrases():
    """Edit the phrases that flag a comment as score begging, per language."""
    current = flags.phrases()
    form = PhrasesForm(data={lang: "\n".join(lines) for lang, lines in current.items()})
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("feedback/flag_phrases.html", form=form), 400
        flags.save_phrases({"fr": (form.fr.data or "").splitlines(), "en": (form.en.data or "").splitlines()})
        db.session.commit()
        flash(_("Phrases saved: they apply to responses that arrive from now on."), "success")
        return redirect(url_for("feedback.flag_phrases"))
    return render_template("feedback/flag_phrases.html", form=form)
