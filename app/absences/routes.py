"""HR's absence kinds page: which kinds count as presence in every scheme, and their English and French names."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.absences import services
from app.absences.forms import KindForm, NewKindForm
from app.absences.models import Absence, AbsenceKind
from app.auth.access import allow
from app.auth.forms import ActionForm
from app.extensions import db

bp = Blueprint("absences", __name__)


def _page(new_form: NewKindForm | None = None, status: int = 200):
    kinds = services.list_kinds()
    db.session.commit()  # the defaults, stored the first time on a new database
    forms = {kind.code: KindForm(formdata=None, obj=kind, prefix=kind.code) for kind in kinds}
    return render_template("absences/kinds.html", kinds=kinds, forms=forms, new=new_form or NewKindForm()), status


@bp.route("/settings/absences")
@allow("hr")
def kinds():
    """List the absence kinds, each with whether it counts as presence, and offer to change or add one."""
    return _page()


@bp.route("/settings/absences", methods=["POST"])
@allow("hr")
def add_kind():
    """Add an absence kind (audited)."""
    form = NewKindForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        kind = services.add_kind(
            form.code.data, form.label_en.data, form.label_fr.data, bool(form.counts_as_presence.data)
        )
    except services.KindError as exc:
        db.session.rollback()
        getattr(form, exc.field).errors = [str(exc).split(": ", 1)[1]]
        return _page(form, 400)
    db.session.commit()
    flash(_("Absence kind %(code)s added.", code=kind.code), "success")
    return redirect(url_for("absences.kinds"))


@bp.route("/absences/<int:absence_id>/delete", methods=["POST"])
@allow("hr")
def delete_absence(absence_id: int):
    """Remove an absence imported by mistake (audited), back to the employee's page."""
    absence = db.session.get(Absence, absence_id)
    if absence is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    employee_id = absence.employee_id
    services.delete_absence(absence)
    db.session.commit()
    flash(_("Absence removed."), "success")
    return redirect(url_for("org.employee_detail", employee_id=employee_id))


@bp.route("/settings/absences/<code>", methods=["POST"])
@allow("hr")
def update_kind(code: str):
    """Change a kind's names or whether it counts as presence (audited); computed runs keep what they counted."""
    services.ensure_default_kinds()
    kind = db.session.scalar(sa.select(AbsenceKind).where(AbsenceKind.code == code))
    if kind is None:
        abort(404)
    form = KindForm(prefix=kind.code)
    if not form.validate_on_submit():
        return _page(status=400)
    changed = services.update_kind(kind, form.label_en.data, form.label_fr.data, bool(form.counts_as_presence.data))
    db.session.commit()
    if changed:
        flash(_("Absence kind %(code)s saved.", code=kind.code), "success")
    return redirect(url_for("absences.kinds"))
