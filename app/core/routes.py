"""The landing page each role starts from, and HR's company settings."""

from dataclasses import asdict

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import AUTHENTICATED, allow
from app.core import clock, nav
from app.core import home as home_pages
from app.core.company import CompanySettings, is_saved, load_company_settings, save_company_settings
from app.core.forms import CompanySettingsForm
from app.extensions import db

bp = Blueprint("core", __name__)


@bp.route("/")
@allow(AUTHENTICATED)
def home():
    """Show what needs the user now and how their part of the company is doing, one section per role."""
    today = clock.today()
    return render_template(
        "core/home.html",
        user=current_user,
        today=today,
        me=home_pages.employee_home(current_user, today),
        team=home_pages.manager_home(current_user, today),
        hr=home_pages.hr_home(current_user, today),
        payroll=home_pages.payroll_home(current_user, today),
    )


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


@bp.app_context_processor
def inject_nav_menu() -> dict[str, object]:
    # A callable: the menu is built only on pages that draw the navigation (a logged-in user's).
    return {"nav_menu": lambda: nav.menu_for(current_user, request.path)}
