"""HR's intéressement page: gross pay per period (import with a template file), the PASS per year, the pay code."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.auth.access import allow
from app.core.downloads import download
from app.core.tabular import ImportRejected, read_table
from app.extensions import db
from app.incentives import gross_pay
from app.incentives.blueprint import bp
from app.incentives.forms_runs import InteressementSettingsForm
from app.org.forms import UploadForm


def _page(upload: UploadForm | None = None, settings_form: InteressementSettingsForm | None = None, **extra):
    current = gross_pay.load_settings()
    if settings_form is None:
        settings_form = InteressementSettingsForm(pay_code=current.pay_code)
    return render_template(
        "incentives/interessement.html",
        upload=upload or UploadForm(),
        settings_form=settings_form,
        settings=current,
        periods=gross_pay.periods_imported(),
        columns=gross_pay.IMPORT_COLUMNS,
        **extra,
    )


@bp.route("/interessement")
@allow("hr")
def interessement_page():
    """Show the gross pay imported per period, the PASS per year and the intéressement pay code."""
    return _page()


@bp.route("/interessement/gross-pay/template.csv")
@allow("hr")
def gross_pay_template():
    """Download an empty gross pay file with example rows, as French Excel opens it."""
    return download(gross_pay.import_template(), "gross-pay-template.csv", "text/csv")


@bp.route("/interessement/gross-pay", methods=["POST"])
@allow("hr")
def gross_pay_import():
    """Import a gross pay file, all or nothing; a row already stored is replaced, so a second import changes nothing."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(upload=form), 400
    upload = form.file.data
    try:
        summary = gross_pay.import_gross_pay(read_table(upload.read(), upload.filename or "", gross_pay.IMPORT_COLUMNS))
    except ImportRejected as exc:
        db.session.rollback()
        return _page(upload=form, errors=exc.errors), 400
    db.session.commit()
    flash(_("Gross pay imported: %(new)d new, %(changed)d changed, %(unchanged)d unchanged.", **summary), "success")
    return redirect(url_for("incentives.interessement_page"))


@bp.route("/interessement/settings", methods=["POST"])
@allow("hr")
def interessement_settings():
    """Save the pay code and, when given, the PASS of one year (audited)."""
    form = InteressementSettingsForm()
    if not form.validate_on_submit():
        return _page(settings_form=form), 400
    years: dict[int, Decimal] = {}
    year_text, amount_text = (form.year.data or "").strip(), (form.pass_amount.data or "").strip()
    if year_text or amount_text:
        try:
            years[int(year_text)] = Decimal(amount_text.replace(" ", "").replace("\u202f", "").replace(",", "."))
        except (ValueError, InvalidOperation):
            form.pass_amount.errors = [_("Give a year (e.g. 2027) and an amount (e.g. 49000).")]
            return _page(settings_form=form), 400
    try:
        gross_pay.save_settings(years, form.pay_code.data)
    except gross_pay.SettingsError as exc:
        db.session.rollback()
        form.pass_amount.errors = [str(exc)]
        return _page(settings_form=form), 400
    db.session.commit()
    flash(_("Intéressement settings saved."), "success")
    return redirect(url_for("incentives.interessement_page"))
