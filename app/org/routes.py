"""Store and employee pages (scoped to what each user may see) and the HR import pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app.absences import services as absences
from app.absences.services import employee_absences as absences_of
from app.auth.access import allow
from app.auth.forms import ActionForm
from app.core import clock
from app.core.downloads import download
from app.core.models import PendingUpload
from app.core.tabular import ImportRejected, read_table
from app.extensions import db
from app.mappings import services as mappings
from app.mappings.models import ImportMapping
from app.org import services
from app.org.forms import UploadForm
from app.org.models import Assignment, Employee, Store
from app.org.scope import (
    can_read_pay,
    can_see_employee,
    pay_store_ids,
    team_condition,
    visible_employees_condition,
    visible_store_ids,
)

IMPORTS = {
    "stores": (services.plan_stores, services.apply_stores, services.STORE_COLUMNS),
    "employees": (services.plan_employees, services.apply_employees, services.EMPLOYEE_COLUMNS),
    "absences": (absences.plan_absences, absences.apply_absences, absences.ABSENCE_COLUMNS),
}
# Where a confirmed import lands.
DONE = {"stores": "org.stores", "employees": "org.employees", "absences": "absences.kinds"}

bp = Blueprint("org", __name__)


def _visible_stores() -> sa.Select:
    query = sa.select(Store).options(selectinload(Store.region)).order_by(Store.code)
    ids = visible_store_ids(current_user)
    if ids is not None:
        query = query.where(Store.id.in_(ids or {-1}))
    return query


@bp.route("/stores")
@allow("hr", "manager")
def stores():
    """List the stores the user may see."""
    return render_template("org/stores.html", stores=list(db.session.scalars(_visible_stores())))


@bp.route("/stores/<int:store_id>")
@allow("hr", "manager")
def store_detail(store_id: int):
    """Show a store and its current team."""
    store = db.session.scalar(_visible_stores().where(Store.id == store_id))
    if store is None:
        abort(404)
    today = clock.today()
    team = db.session.scalars(
        sa.select(Employee).where(team_condition({store.id}, today)).order_by(Employee.last_name, Employee.first_name)
    )
    pay = pay_store_ids(current_user)
    return render_template(
        "org/store_detail.html", store=store, team=list(team), show_estimates=pay is None or store.id in pay
    )


@bp.route("/employees")
@allow("hr", "manager")
def employees():
    """List the employees the user may see, with search and pagination."""
    search = request.args.get("q", "").strip()
    query = sa.select(Employee).where(visible_employees_condition(current_user, clock.today()))
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Employee.first_name).like(pattern),
                sa.func.lower(Employee.last_name).like(pattern),
                sa.func.lower(Employee.number).like(pattern),
                sa.func.lower(sa.func.coalesce(Employee.email, "")).like(pattern),
            )
        )
    query = query.options(selectinload(Employee.assignments).selectinload(Assignment.store))
    page = db.paginate(query.order_by(Employee.last_name, Employee.first_name, Employee.number), per_page=25)
    return render_template("org/employees.html", page=page, search=search)


@bp.route("/employees/<int:employee_id>")
@allow("hr", "manager", "employee")
def employee_detail(employee_id: int):
    """Show an employee and their store history (employees see only themselves)."""
    employee = db.session.get(Employee, employee_id)
    today = clock.today()
    if employee is None or not can_see_employee(current_user, employee, today):
        abort(404)
    # Absences may say why someone was away (sick leave, maternity): HR only.
    absences = absences_of(employee.id) if current_user.has_role("hr") else None
    return render_template(
        "org/employee_detail.html",
        employee=employee,
        show_pay=can_read_pay(current_user, employee, today),
        absences=absences,
    )


@bp.route("/employees/export.csv")
@allow("hr")
def employees_export():
    """Download every employee in the import's columns."""
    return download(services.export_employees(), "employees.csv", "text/csv")


def _import_kind(kind: str):
    if kind not in IMPORTS:
        abort(404)
    return IMPORTS[kind]


def _import_page(kind: str, form: UploadForm, errors=None, status: int = 200):
    form.mapping.choices = [SelectChoice("", _("None: the file has Primo's columns"))] + [
        SelectChoice(m.name, m.name) for m in mappings.mappings_of(kind)
    ]
    columns = IMPORTS[kind][2]
    return render_template("org/import.html", kind=kind, form=form, columns=columns, errors=errors), status


def _plan(kind: str, content: bytes, filename: str, mapping: ImportMapping | None) -> tuple[services.ImportPlan, str]:
    """What a file changes, and how it was decoded; an employee file may be an HRIS export read through a mapping."""
    plan_fn, _apply, columns = IMPORTS[kind]
    if mapping is not None and kind == "employees":
        plan, table = mappings.plan_employees(content, filename, mappings.spec_of(mapping))
        return plan, table.encoding
    table = read_table(content, filename, columns)
    return plan_fn(table), table.encoding


@bp.route("/import/<kind>", methods=["GET", "POST"])
@allow("hr")
def import_upload(kind: str):
    """Upload a store or employee file and show what it would change before anything is written."""
    _import_kind(kind)
    form = UploadForm()
    if request.method == "GET":
        return _import_page(kind, form)
    if not form.validate_on_submit():
        return _import_page(kind, form, status=400)
    mapping = None
    if form.mapping.data and kind == "employees":
        try:
            mapping = mappings.find_mapping(form.mapping.data, kind)
        except mappings.MappingNotFound as exc:
            form.mapping.errors = [str(exc)]
            return _import_page(kind, form, status=400)
    upload = form.file.data
    try:
        return preview_upload(kind, upload.read(), upload.filename or kind, mapping)
    except ImportRejected as exc:
        return _import_page(kind, form, errors=exc.errors, status=400)


def preview_upload(kind: str, content: bytes, filename: str, mapping: ImportMapping | None = None) -> str:
    """Show what an organisation file would change, keeping it for the confirmation; raises ImportRejected."""
    try:
        plan, encoding = _plan(kind, content, filename, mapping)
    except ImportRejected:
        db.session.rollback()
        raise
    pending = PendingUpload(
        kind=kind, filename=filename, content=content, user_id=current_user.id, mapping_id=mapping and mapping.id
    )
    db.session.add(pending)
    db.session.commit()
    return render_template(
        "org/import_preview.html",
        kind=kind,
        plan=plan,
        pending=pending,
        action=ActionForm(),
        encoding=encoding,
        mapping=mapping,
    )


@bp.route("/import/<kind>/template.csv")
@allow("hr")
def import_template(kind: str):
    """Download an empty file in the import's columns, with one example row, as French Excel opens it."""
    _import_kind(kind)
    content = absences.import_template() if kind == "absences" else services.import_template(kind)
    return download(content, f"{kind}-template.csv", "text/csv")


@bp.route("/import/<kind>/<token>/confirm", methods=["POST"])
@allow("hr")
def import_confirm(kind: str, token: str):
    """Apply a previewed file; it is checked again, so a file that went stale is refused whole."""
    _plan_fn, apply_fn, _columns = _import_kind(kind)
    if not ActionForm().validate_on_submit():
        abort(400)
    pending = db.session.scalar(
        sa.select(PendingUpload).where(
            PendingUpload.token == token, PendingUpload.kind == kind, PendingUpload.user_id == current_user.id
        )
    )
    if pending is None:
        abort(404)
    mapping = db.session.get(ImportMapping, pending.mapping_id) if pending.mapping_id else None
    try:
        summary = apply_fn(_plan(kind, pending.content, pending.filename, mapping)[0])
    except ImportRejected as exc:
        db.session.rollback()
        return _import_page(kind, UploadForm(), errors=exc.errors, status=400)
    db.session.delete(pending)
    db.session.commit()
    flash(
        _("Import done: %(new)d new, %(changed)d changed, %(unchanged)d unchanged.", **summary),
        "success",
    )
    return redirect(url_for(DONE[kind]))
