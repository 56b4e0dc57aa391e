"""`/api/v1`: the resources integrations use, each view declaring the token scopes it needs.

Views reuse the services the pages and the command line use (same checks, same audit); the route commits once.
Every call is audited and counted against its token's rate limit.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

import sqlalchemy as sa
from flask import g, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.api import schemas
from app.audit.services import record
from app.auth.access import allow_token
from app.auth.limiting import api_token_key, api_token_limit
from app.auth.models import User
from app.core.downloads import download
from app.core.tabular import ImportRejected, RowError, Table
from app.core.web import problem
from app.dbtypes import utcnow
from app.extensions import csrf, db, limiter
from app.feedback import ingest, other_kpis
from app.feedback.models import FeedbackSource
from app.feedback.webhook import PayloadError, generic_cells
from app.incentives import runs
from app.incentives.models import BonusRun, RunLine, Scheme, SchemeVersion
from app.incentives.schemes import SchemeError
from app.org import services as org
from app.org.models import Assignment, Employee, Store
from app.recognition import budgets, points
from app.recognition.awards import AwardError, AwardRefused, award_points, month_of
from app.recognition.badges import badge_by_code
from app.reports import payroll
from app.reports.statements import documents

blp = Blueprint(
    "api_v1",
    __name__,
    url_prefix="/api/v1",
    description="Primo's JSON API: send `Authorization: Bearer <token>`; errors are application/problem+json.",
)
csrf.exempt(blp)  # no cookies: a bearer token cannot be sent by another site's form
limiter.limit(api_token_limit, key_func=api_token_key)(blp)

SECURITY = [{"token": []}]
# Errors any call may meet; the views list the others they give.
COMMON_ERRORS = (400, 401, 403, 429)


def _doc(*errors: int) -> Callable[[Any], Any]:
    """Document the bearer security and the error statuses a view answers with."""

    def wrap(view: Any) -> Any:
        view = blp.doc(security=SECURITY)(view)
        for status in sorted(set(COMMON_ERRORS + errors)):
            view = blp.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return wrap


# --- every call: no text a database cannot hold, an audit line, the token's last use ---------------------------


def _unstorable(value: Any) -> bool:
    """Whether a JSON value holds text neither database stores: a NUL character, or an unpaired surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


@blp.before_request
def refuse_unstorable_text():
    """Refuse, before any query, text PostgreSQL cannot take (a 400 rather than a database error)."""
    if _unstorable(request.path) or _unstorable([[key, *values] for key, values in request.args.lists()]):
        return problem(400, _("The request holds a NUL character or invalid text."))
    if request.is_json:
        body = request.get_json(silent=True)
        if _unstorable(body):
            return problem(400, _("The request holds a NUL character or invalid text."))
    return None


@blp.after_request
def audit_call(response):
    """Record who called what and with which outcome, in a transaction of its own (the view has committed)."""
    token = g.get("api_token")
    if token is None:
        return response
    db.session.rollback()  # whatever a failed view left behind is not ours to keep
    token = db.session.merge(token)
    token.last_used_at = utcnow()
    call = f"{request.method} {request.path} → {response.status_code}"
    # The path of a refused call may hold what no database stores (a NUL, a lone surrogate): keep it escaped.
    call = call.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    record("api.call", "api_token", token.id, summary=call)
    db.session.commit()
    return response


# --- pagination by cursor -------------------------------------------------------------------------------------


def _encode(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode(cursor: str | None, kind: type) -> Any:
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        key = None
    # A bool is an int to Python, the database's integers stop at 2**63 - 1, and a key is text it can store.
    if not isinstance(key, kind) or isinstance(key, bool) or (kind is int and not 0 <= key < 2**63) or _unstorable(key):
        raise _BadCursor
    return key


class _BadCursor(Exception):
    """A cursor this API did not give."""


def _page(query: sa.Select, key: sa.ColumnElement[Any], kind: type, args: dict[str, Any], dump) -> dict[str, Any]:
    """One page of `query` ordered by `key`, after the cursor's key; `dump` turns a row into an item."""
    after = _decode(args.get("cursor"), kind)
    if after is not None:
        query = query.where(key > after)
    limit = args["limit"]
    rows: Sequence[Any] = db.session.scalars(query.order_by(key).limit(limit + 1)).all()
    items = [dump(row) for row in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return {"items": items, "next_cursor": _encode(getattr(last, key.key)) if last is not None else None}


@blp.errorhandler(_BadCursor)
def bad_cursor(_exc):
    return problem(400, _("The cursor is not one this API gave: start again without it."))


def _row_errors(errors: Sequence[RowError], items: str) -> list[dict[str, Any]]:
    """Row errors of a batch: item 1 is the first of the list (row 0 is the whole batch). In English whatever the
    company's language: integrations read them, and they stay the same from one install to the next."""
    with force_locale("en"):
        return [{items: e.row or None, "field": e.column or None, "message": str(e.message)} for e in errors]


def _rejected(exc: ImportRejected) -> Any:
    """The problem document of a batch an import service refused, in English as its row errors are."""
    with force_locale("en"):
        detail = str(exc)
    return problem(422, detail, errors=_row_errors(exc.errors, "item"))


def _table(items: Sequence[dict[str, str]], columns: Sequence[str]) -> Table:
    """A batch as the table a file of those columns gives the import services: item 1 is row 1."""
    rows = [(number, {c: item[c].strip() for c in columns}) for number, item in enumerate(items, start=1)]
    return Table(columns=list(columns), rows=rows)


def _all_or_nothing(apply: Callable[[], dict[str, int]]):
    """Run an import service over a batch and commit, or answer every problem by item and field, writing nothing."""
    try:
        summary = apply()
    except ImportRejected as exc:
        db.session.rollback()
        return _rejected(exc)
    db.session.commit()
    return summary


# --- stores ---------------------------------------------------------------------------------------------------


def _store(store: Store) -> dict[str, Any]:
    return {"code": store.code, "name": store.name, "region": store.region.name, "opened_on": store.opened_on}


@blp.route("/stores")
@allow_token("stores:read")
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.StorePage)
@_doc()
def list_stores(args):
    """List stores, by code."""
    query = sa.select(Store).options(selectinload(Store.region))
    return _page(query, Store.code, str, args, _store)


@blp.route("/stores/<code>")
@allow_token("stores:read")
@blp.response(200, schemas.StoreSchema)
@_doc(404)
def get_store(code: str):
    """Show one store."""
    store = db.session.scalar(sa.select(Store).where(Store.code == code))
    if store is None:
        return problem(404, _("No store %(code)s.", code=code[:40]))
    return _store(store)


@blp.route("/stores/bulk", methods=["POST"])
@allow_token("stores:write")
@blp.arguments(schemas.StoreBatchSchema)
@blp.response(200, schemas.UpsertSummarySchema)
@_doc(422)
def upsert_stores(batch):
    """Create or update stores, all or nothing, with the checks of the store file import (`flask stores import`)."""
    table = _table(batch["stores"], org.STORE_COLUMNS)
    return _all_or_nothing(lambda: org.apply_stores(org.plan_stores(table)))


# --- employees ------------------------------------------------------------------------------------------------


def _employee(employee: Employee) -> dict[str, Any]:
    fields = org.employee_fields(employee)
    return {"employee_number": employee.number, **fields, "email": fields["email"] or None}


def _employees() -> sa.Select:
    return sa.select(Employee).options(
        selectinload(Employee.assignments).selectinload(Assignment.store),
        selectinload(Employee.scopes),
    )


@blp.route("/employees")
@allow_token("employees:read")
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.EmployeePage)
@_doc()
def list_employees(args):
    """List employees by number, with their current store, pay basis and what they manage."""
    return _page(_employees(), Employee.number, str, args, _employee)


@blp.route("/employees/<number>")
@allow_token("employees:read")
@blp.response(200, schemas.EmployeeSchema)
@_doc(404)
def get_employee(number: str):
    """Show one employee."""
    employee = db.session.scalar(_employees().where(Employee.number == number))
    if employee is None:
        return problem(404, _("No employee %(number)s.", number=number[:40]))
    return _employee(employee)


@blp.route("/employees/bulk", methods=["POST"])
@allow_token("employees:write")
@blp.arguments(schemas.EmployeeBatchSchema)
@blp.response(200, schemas.UpsertSummarySchema)
@_doc(422)
def upsert_employees(batch):
    """Create or update employees, all or nothing, with the checks of the employee file import."""
    table = _table(batch["employees"], org.EMPLOYEE_COLUMNS)
    return _all_or_nothing(lambda: org.apply_employees(org.plan_employees(table)))


@blp.route("/employees/<number>/points")
@allow_token("points:read")
@blp.arguments(schemas.PointsArgs, location="query")
@blp.response(200, schemas.PointsSchema)
@_doc(404)
def get_points(args, number: str):
    """Show an employee's recognition points: balance, held, lifetime, tier and upcoming expiries."""
    employee = db.session.scalar(sa.select(Employee).where(Employee.number == number))
    if employee is None:
        return problem(404, _("No employee %(number)s.", number=number[:40]))
    summary = points.summary_of(employee, args.get("as_of"))
    return {
        "employee_number": employee.number,
        "balance": summary.balance,
        "held": summary.held,
        "lifetime": summary.lifetime,
        "tier": summary.tier,
        "expiring": [{"points": item.points, "date": item.date} for item in summary.expiring],
    }


def _manager(who: str) -> User | None:
    """The manager's account, named by its login e-mail or by the manager's employee number."""
    who = who.strip()
    if "@" in who:
        return db.session.scalar(sa.select(User).where(User.email == who.lower()))
    return db.session.scalar(
        sa.select(User).join(Employee, User.employee_id == Employee.id).where(Employee.number == who)
    )


@blp.route("/awards", methods=["POST"])
@allow_token("points:write")
@blp.arguments(schemas.AwardSchema)
@blp.response(201, schemas.AwardResultSchema)
@_doc(409, 422)
def create_award(body):
    """Award points (and a badge) in a manager's name: to an employee of their team, within the per-award maximum and
    what is left of their monthly budget, exactly as on the award page."""
    manager = _manager(body["manager"])
    if manager is None or not manager.active:
        message = _("No active user %(who)s.", who=body["manager"][:80])
        return problem(422, message, errors=[{"field": "manager", "message": message}])
    employee = db.session.scalar(sa.select(Employee).where(Employee.number == body["employee_number"].strip()))
    if employee is None:
        message = _("No employee %(number)s.", number=body["employee_number"][:40])
        return problem(422, message, errors=[{"field": "employee_number", "message": message}])
    badge = None
    if body["badge"]:
        badge = badge_by_code(body["badge"])
        if badge is None:
            message = _("No badge %(code)s.", code=body["badge"][:40])
            return problem(422, message, errors=[{"field": "badge", "message": message}])
    try:
        award = award_points(manager, employee, body["points"], body["message"], badge=badge, public=body["public"])
    except AwardRefused as exc:
        db.session.rollback()
        return problem(409, str(exc), errors=[{"field": exc.field, "message": str(exc)}])
    except (AwardError, budgets.BudgetError) as exc:
        db.session.rollback()
        return problem(422, str(exc), errors=[{"field": getattr(exc, "field", None), "message": str(exc)}])
    left = budgets.budget_status(manager.employee_id, month_of(award.awarded_on)).left
    db.session.commit()
    return {
        "id": award.id,
        "manager": manager.email,
        "employee_number": employee.number,
        "points": award.points,
        "badge": badge.code if badge else None,
        "public": award.public,
        "awarded_on": award.awarded_on,
        "budget_left": left,
    }, 201


# --- survey responses -----------------------------------------------------------------------------------------


@blp.route("/responses", methods=["POST"])
@allow_token("responses:write")
@blp.arguments(schemas.SurveyBatchSchema)
@blp.response(200, schemas.SurveyBatchResultSchema)
@_doc(404, 409, 422)
def create_responses(batch):
    """Store survey responses of a registered source, all or nothing; an external id already stored is reported as
    a duplicate and left as it is, so a batch may be sent again safely."""
    source = db.session.scalar(sa.select(FeedbackSource).where(FeedbackSource.name == batch["source"]))
    if source is None:
        return problem(404, _("No survey source %(name)s: HR registers it first.", name=batch["source"][:80]))
    items: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, response in enumerate(batch["responses"], start=1):
        external_id = response["external_id"].strip()
        if external_id in seen:
            errors.append({"item": number, "field": "external_id", "message": f"{external_id} appears twice"})
            continue
        seen.add(external_id)
        try:
            # The webhook's own path: same cells, same checks, same duplicate rule.
            status, response_id = ingest.store_response(source, generic_cells(response, ingest.ALL_COLUMNS))
        except (ingest.ResponseRejected, PayloadError) as exc:
            reasons = getattr(exc, "errors", [RowError(0, "", str(exc))])
            errors.extend(_row_errors([RowError(number, e.column, e.message) for e in reasons], "item"))
            continue
        items.append({"external_id": external_id, "id": response_id, "status": status})
    if errors:
        db.session.rollback()
        return problem(422, _("%(n)d problem(s) in the batch; nothing was stored.", n=len(errors)), errors=errors)
    try:
        db.session.commit()
    except IntegrityError:
        # Another call stored one of these ids meanwhile: sending the batch again reports it as a duplicate.
        db.session.rollback()
        return problem(409, _("Another request stored some of these responses meanwhile; send the batch again."))
    created = sum(1 for item in items if item["status"] == "created")
    return {"created": created, "duplicates": len(items) - created, "items": items}


# --- KPI values -----------------------------------------------------------------------------------------------


@blp.route("/kpi-values", methods=["POST"])
@allow_token("kpis:write")
@blp.arguments(schemas.KpiBatchSchema)
@blp.response(200, schemas.UpsertSummarySchema)
@_doc(422)
def put_kpi_values(batch):
    """Store values of the KPIs HR defined, all or nothing, with the checks of the KPI file import; a value already
    stored for the same KPI, store and period is replaced."""
    return _all_or_nothing(lambda: other_kpis.import_values(_table(batch["values"], other_kpis.IMPORT_COLUMNS)))


# --- bonus runs and schemes ------------------------------------------------------------------------------


@blp.route("/schemes")
@allow_token("runs:read")
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.SchemePage)
@_doc()
def list_schemes(args):
    """List bonus schemes by code, with their versions (what a run is created from)."""

    def dump(scheme: Scheme) -> dict[str, Any]:
        versions = [
            {
                "version": v.version,
                "name": v.name,
                "period_type": v.period_type,
                "pay_code": v.pay_code,
                "frozen": v.frozen,
            }
            for v in scheme.versions
        ]
        return {"code": scheme.code, "versions": versions}

    return _page(sa.select(Scheme).options(selectinload(Scheme.versions)), Scheme.code, str, args, dump)


def _run(run: BonusRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "scheme": run.version.scheme.code,
        "version": run.version.version,
        "period": run.period,
        "status": str(run.status),
        "total": run.total,
        "corrective": run.corrective,
        "corrects_run_id": run.corrects_run_id,
        "advance": run.advance,
        "created_at": run.created_at,
        "computed_at": run.computed_at,
        "submitted_by": run.submitted_by,
        "submitted_at": run.submitted_at,
        "approved_by": run.approved_by,
        "approved_at": run.approved_at,
        "exported_at": run.exported_at,
    }


def _run_or_none(run_id: int) -> BonusRun | None:
    return db.session.get(BonusRun, run_id)


def _no_run(run_id: int):
    return problem(404, _("No run %(id)d.", id=run_id))


@blp.route("/runs")
@allow_token("runs:read")
@blp.arguments(schemas.RunArgs, location="query")
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.RunPage)
@_doc()
def list_runs(filters, args):
    """List bonus runs, oldest first, by scheme, period or status if asked."""
    query = sa.select(BonusRun).options(selectinload(BonusRun.version).selectinload(SchemeVersion.scheme))
    if filters.get("scheme"):
        query = query.join(BonusRun.version).join(SchemeVersion.scheme).where(Scheme.code == filters["scheme"])
    if filters.get("period"):
        query = query.where(BonusRun.period == filters["period"])
    if filters.get("status"):
        query = query.where(BonusRun.status == filters["status"])
    return _page(query, BonusRun.id, int, args, _run)


@blp.route("/runs/<int:run_id>")
@allow_token("runs:read")
@blp.response(200, schemas.RunSchema)
@_doc(404)
def get_run(run_id: int):
    """Show one run: status, total and who did what when."""
    run = _run_or_none(run_id)
    return _run(run) if run is not None else _no_run(run_id)


@blp.route("/runs/<int:run_id>/lines")
@allow_token("runs:read")
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.RunLinePage)
@_doc(404)
def list_run_lines(args, run_id: int):
    """List a run's lines (one per employee and store), by id."""
    if _run_or_none(run_id) is None:
        return _no_run(run_id)
    query = (
        sa.select(RunLine)
        .where(RunLine.run_id == run_id)
        .options(selectinload(RunLine.employee), selectinload(RunLine.store))
    )

    def dump(line: RunLine) -> dict[str, Any]:
        return {
            "id": line.id,
            "employee_number": line.employee.number,
            "store_code": line.store.code,
            "amount": line.amount,
            "objectives_late": line.objectives_late,
        }

    return _page(query, RunLine.id, int, args, dump)


def _run_action(action: Callable[[], BonusRun]):
    """Carry out one run action and commit, or answer why not: 409 for the run's state, 422 for bad input."""
    try:
        run = action()
    except runs.RunStateError as exc:
        db.session.rollback()
        return problem(409, exc.message)
    except runs.RunError as exc:
        db.session.rollback()
        return problem(422, exc.message, errors=[{"field": exc.field, "message": exc.message}])
    except SchemeError as exc:
        db.session.rollback()
        return problem(422, str(exc), errors=[{"field": "scheme", "message": str(exc)}])
    db.session.commit()
    return _run(run)


@blp.route("/runs", methods=["POST"])
@allow_token("runs:write")
@blp.arguments(schemas.NewRunSchema)
@blp.response(201, schemas.RunSchema)
@_doc(409, 422)
def create_run(new):
    """Open a draft run of a scheme for a period (corrective with a written reason when it is already paid)."""
    return _run_action(lambda: runs.create_run(new["scheme"], new["period"], new["version"], new["corrective_reason"]))


@blp.route("/runs/<int:run_id>/compute", methods=["POST"])
@allow_token("runs:write")
@blp.response(200, schemas.RunSchema)
@_doc(404, 409, 422)
def compute_run(run_id: int):
    """Compute (or recompute) a draft run from today's data, in one transaction."""
    run = _run_or_none(run_id)
    if run is None:
        return _no_run(run_id)

    def act() -> BonusRun:
        runs.compute(run)
        return run

    return _run_action(act)


@blp.route("/runs/<int:run_id>/submit", methods=["POST"])
@allow_token("runs:write")
@blp.arguments(schemas.SubmitSchema)
@blp.response(200, schemas.RunSchema)
@_doc(404, 409, 422)
def submit_run(body, run_id: int):
    """Submit a computed draft for approval, in the name of the HR user who created the token.

    Approval is never offered here: it stays a second person's act on the run's page (four eyes).
    """
    run = _run_or_none(run_id)
    if run is None:
        return _no_run(run_id)

    def act() -> BonusRun:
        runs.submit(run, g.api_token.created_by, body["comment"])
        return run

    return _run_action(act)


# --- statements -----------------------------------------------------------------------------------------------


def _statement(run_id: int, number: str, fmt: str):
    """An employee's statement of an approved (or exported) run: its stored copy of record, as on the web."""
    run = _run_or_none(run_id)
    if run is None:
        return _no_run(run_id)
    if not documents.is_final(run):
        return problem(
            409,
            _(
                "Run %(id)d is %(status)s: its statements are published once it is approved.",
                id=run.id,
                status=run.status,
            ),
        )
    employee = db.session.scalar(sa.select(Employee).where(Employee.number == number))
    if employee is None:
        return problem(404, _("No employee %(number)s.", number=number[:40]))
    try:
        statement = documents.obtain(run, employee, fmt)
    except documents.DocumentError:
        db.session.rollback()
        return problem(404, _("Run %(id)d pays nobody numbered %(number)s.", id=run.id, number=number[:40]))
    db.session.commit()
    headers = {"X-Content-SHA256": statement.sha256}
    return download(statement.content, documents.filename(run, employee, fmt), documents.MIMETYPES[fmt], headers)


def _file_doc(mimetype: str) -> Callable[[Any], Any]:
    return blp.doc(
        responses={
            "200": {
                "description": "the statement (the copy of record stored at approval)",
                "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )


@blp.route("/runs/<int:run_id>/statements/<number>.pdf")
@allow_token("statements:read")
@_file_doc(documents.MIMETYPES["pdf"])
@_doc(404, 409)
def statement_pdf(run_id: int, number: str):
    """Download an employee's statement of an approved run as PDF, in the employee's language."""
    return _statement(run_id, number, "pdf")


@blp.route("/runs/<int:run_id>/statements/<number>.xlsx")
@allow_token("statements:read")
@_file_doc(documents.MIMETYPES["xlsx"])
@_doc(404, 409)
def statement_xlsx(run_id: int, number: str):
    """Download an employee's statement of an approved run as an Excel workbook, in the employee's language."""
    return _statement(run_id, number, "xlsx")


# --- payroll --------------------------------------------------------------------------------------------------

_FILE_TYPES = sorted(set(payroll.MIMETYPES.values()))


@blp.route("/runs/<int:run_id>/payroll-export", methods=["POST"])
@allow_token("payroll:read")
@blp.arguments(schemas.PayrollArgs, location="query")
@blp.doc(
    responses={
        "200": {
            "description": "the payroll file",
            "content": {mimetype: {"schema": {"type": "string", "format": "binary"}} for mimetype in _FILE_TYPES},
        }
    }
)
@_doc(404, 409)
def export_payroll(args, run_id: int):
    """Download an approved run's payroll file; the export is logged and marks the run exported, as on the page."""
    run = _run_or_none(run_id)
    if run is None:
        return _no_run(run_id)
    who = f"api-token:{g.api_token.name}"
    try:
        export = payroll.export_run(run, args["format"], who, args["decimal_separator"])
    except payroll.PayrollError as exc:
        db.session.rollback()
        return problem(409, str(exc))
    db.session.commit()
    return download(export.content, export.filename, export.mimetype, {"X-Rows-SHA256": export.log.rows_sha256})
