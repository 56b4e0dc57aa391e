"""The landing page each role starts from, and HR's company settings."""

from dataclasses import asdict

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import AUTHENTICATED, allow
from app.core.company import CompanySettings, is_saved, load_company_settings, save_company_settings
from app.core.forms import CompanySettingsForm
from app.extensions import db

bp = Blueprint("core", __name__)


@bp.route("/")
@allow(AUTHENTICATED)
def home():
    """Show the user's starting page with the shortcuts their roles give."""
    from app.pulse.services import open_surveys_for

    pulses = open_surveys_for(current_user.employee) if current_user.employee else []
    return render_template("core/home.html", user=current_user, pulses=pulses)


@bp.route("/settings", methods=["GET", "POST"])
@allow("hr")
def company_settings():
    """Show and change the company's decisions on who reads what (audited)."""
    current = load_company_settings()
    form = CompanySettingsForm(data=asdict(current)) if request.method == "GET" else CompanySettingsForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)  # the only field is a checkbox: only a missing or stale CSRF token gets here
        new = CompanySettings(managers_read_statements=bool(form.managers_read_statements.data))
        if new != current or not is_saved():
            save_company_settings(new)
            db.session.commit()
        flash(_("Company settings saved."), "success")
        return redirect(url_for("core.company_settings"))
    return render_template(
        "core/company_settings.html",
        form=form,
        saved=is_saved(),
        configured=bool(current_app.config.get("PRIMO_MANAGERS_READ_STATEMENTS")),
    )
