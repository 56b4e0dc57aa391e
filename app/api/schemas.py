"""The shapes the API reads and writes: money and other decimals as strings, dates and instants in ISO 8601."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

MAX_BATCH = 500
MAX_PAGE = 200


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Raw(metadata={"description": "What was wrong, per item and field"})


class DecimalString(fields.Decimal):
    """An exact decimal written as a JSON string ("0.6000"), documented as a string, never a float."""

    def __init__(self, **kwargs) -> None:
        super().__init__(as_string=True, **kwargs)


def Money(**kwargs) -> DecimalString:  # noqa: N802  (a field factory, used like a field class)
    """An amount as a string with two decimals ("1234.50")."""
    return DecimalString(places=2, **kwargs)


class PageArgs(ma.Schema):
    cursor = fields.String(metadata={"description": "`next_cursor` of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE))


class PageSchema(ma.Schema):
    next_cursor = fields.String(allow_none=True, required=True, metadata={"description": "null on the last page"})


class StoreSchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    region = fields.String(required=True)
    opened_on = fields.Date(allow_none=True, required=True)


class StorePage(PageSchema):
    items = fields.List(fields.Nested(StoreSchema), required=True)


class EmployeeSchema(ma.Schema):
    employee_number = fields.String(required=True)
    payroll_id = fields.String(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)
    job_role = fields.String(required=True)
    store_code = fields.String(allow_none=True, required=True)
    store_since = fields.Date(allow_none=True, required=True)
    hire_date = fields.Date(required=True)
    exit_date = fields.Date(allow_none=True, required=True)
    fte = DecimalString(required=True)
    annual_base_salary = Money(required=True)
    cost_center = fields.String(required=True)
    language = fields.String(required=True)
    manages = fields.String(required=True, metadata={"description": "as in the import file: `S01|region:North`"})


class EmployeePage(PageSchema):
    items = fields.List(fields.Nested(EmployeeSchema), required=True)


def _cell(**kwargs) -> fields.String:
    return fields.String(load_default="", **kwargs)


class EmployeeRowSchema(ma.Schema):
    """One employee to create or update, with the columns of the employee file (text, as a file cell holds it)."""

    employee_number = fields.String(required=True)
    payroll_id = _cell()
    first_name = _cell()
    last_name = _cell()
    email = _cell()
    job_role = _cell()
    store_code = _cell()
    store_since = _cell(metadata={"description": "YYYY-MM-DD"})
    hire_date = _cell(metadata={"description": "YYYY-MM-DD"})
    exit_date = _cell(metadata={"description": "YYYY-MM-DD"})
    fte = _cell(metadata={"description": "decimal, e.g. 0.6"})
    annual_base_salary = _cell(metadata={"description": "decimal, e.g. 28000.00"})
    cost_center = _cell()
    language = _cell()
    manages = _cell()


class EmployeeBatchSchema(ma.Schema):
    employees = fields.List(fields.Nested(EmployeeRowSchema), required=True, validate=validate.Length(1, MAX_BATCH))


class UpsertSummarySchema(ma.Schema):
    new = fields.Integer(required=True)
    changed = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)


class SurveyResponseSchema(ma.Schema):
    """One survey response, with the columns of the survey file."""

    external_id = fields.String(required=True)
    store_code = fields.String(required=True)
    answered_at = fields.String(required=True, metadata={"description": "ISO 8601; without an offset, company time"})
    channel = fields.String(load_default="")
    nps = fields.Integer(allow_none=True, load_default=None)
    csat = fields.Integer(allow_none=True, load_default=None)
    ces = fields.Integer(allow_none=True, load_default=None)
    comment = fields.String(allow_none=True, load_default=None)
    employee_number = fields.String(allow_none=True, load_default=None)
    contact_consent = fields.Boolean(allow_none=True, load_default=None)
    customer_name = fields.String(allow_none=True, load_default=None)
    customer_contact = fields.String(allow_none=True, load_default=None)


class SurveyBatchSchema(ma.Schema):
    source = fields.String(required=True, metadata={"description": "a source registered by HR"})
    responses = fields.List(fields.Nested(SurveyResponseSchema), required=True, validate=validate.Length(1, MAX_BATCH))


class StoredResponseSchema(ma.Schema):
    external_id = fields.String(required=True)
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["created", "duplicate"]))


class SurveyBatchResultSchema(ma.Schema):
    created = fields.Integer(required=True)
    duplicates = fields.Integer(required=True)
    items = fields.List(fields.Nested(StoredResponseSchema), required=True)


class RunSchema(ma.Schema):
    id = fields.Integer(required=True)
    scheme = fields.String(required=True)
    version = fields.Integer(required=True)
    period = fields.String(required=True)
    status = fields.String(required=True)
    total = Money(required=True)
    corrective = fields.Boolean(required=True)
    corrects_run_id = fields.Integer(allow_none=True, required=True)
    advance = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    computed_at = fields.DateTime(allow_none=True, required=True)
    submitted_by = fields.String(allow_none=True, required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    approved_by = fields.String(allow_none=True, required=True)
    approved_at = fields.DateTime(allow_none=True, required=True)
    exported_at = fields.DateTime(allow_none=True, required=True)


class RunPage(PageSchema):
    items = fields.List(fields.Nested(RunSchema), required=True)


class RunArgs(ma.Schema):
    scheme = fields.String(metadata={"description": "a scheme code"})
    period = fields.String(metadata={"description": "YYYY-MM, YYYY-Qn or YYYY"})
    status = fields.String(validate=validate.OneOf(["draft", "submitted", "approved", "exported"]))


class RunLineSchema(ma.Schema):
    id = fields.Integer(required=True)
    employee_number = fields.String(required=True)
    store_code = fields.String(required=True)
    amount = Money(required=True)
    objectives_late = fields.Boolean(required=True)


class RunLinePage(PageSchema):
    items = fields.List(fields.Nested(RunLineSchema), required=True)


class NewRunSchema(ma.Schema):
    scheme = fields.String(required=True)
    period = fields.String(required=True, metadata={"description": "YYYY-MM, YYYY-Qn or YYYY"})
    version = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(1, 2**31 - 1))
    corrective_reason = fields.String(allow_none=True, load_default=None)


class SubmitSchema(ma.Schema):
    comment = fields.String(allow_none=True, load_default=None)


class PayrollArgs(ma.Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))
    decimal_separator = fields.String(load_default=",", validate=validate.OneOf([",", "."]))


class SchemeVersionSchema(ma.Schema):
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    period_type = fields.String(required=True)
    pay_code = fields.String(required=True)
    frozen = fields.Boolean(required=True, metadata={"description": "a run was submitted on it: it no longer changes"})


class SchemeSchema(ma.Schema):
    code = fields.String(required=True)
    versions = fields.List(fields.Nested(SchemeVersionSchema), required=True)


class SchemePage(PageSchema):
    items = fields.List(fields.Nested(SchemeSchema), required=True)


class PointsArgs(ma.Schema):
    as_of = fields.Date(metadata={"description": "YYYY-MM-DD; default today"})


class ExpiringSchema(ma.Schema):
    points = fields.Integer(required=True)
    date = fields.Date(required=True)


class PointsSchema(ma.Schema):
    employee_number = fields.String(required=True)
    balance = fields.Integer(required=True)
    held = fields.Integer(required=True)
    lifetime = fields.Integer(required=True)
    tier = fields.String(allow_none=True, required=True)
    expiring = fields.List(fields.Nested(ExpiringSchema), required=True)


class KpiValueSchema(ma.Schema):
    """One value of a KPI HR defined, for a store and a period (the columns of the KPI file)."""

    kpi_code = fields.String(required=True)
    store_code = fields.String(required=True)
    period = fields.String(required=True, metadata={"description": "YYYY-MM, YYYY-Qn or YYYY"})
    value = fields.String(required=True, metadata={"description": 'a decimal as a string, e.g. "12.5"'})


class KpiBatchSchema(ma.Schema):
    values = fields.List(fields.Nested(KpiValueSchema), required=True, validate=validate.Length(1, MAX_BATCH))


class StoreRowSchema(ma.Schema):
    """One store to create or update, with the columns of the store file (text, as a file cell holds it)."""

    store_code = fields.String(required=True)
    name = _cell()
    region = _cell()
    opened_on = _cell(metadata={"description": "YYYY-MM-DD"})


class StoreBatchSchema(ma.Schema):
    stores = fields.List(fields.Nested(StoreRowSchema), required=True, validate=validate.Length(1, MAX_BATCH))


class AwardSchema(ma.Schema):
    """An award a manager gives, within their monthly budget, as on the award page."""

    manager = fields.String(
        required=True, metadata={"description": "the awarding manager: their login e-mail or employee number"}
    )
    employee_number = fields.String(required=True)
    points = fields.Integer(required=True, validate=validate.Range(0, 2**31 - 1))
    message = fields.String(required=True, metadata={"description": "at least 10 characters"})
    badge = fields.String(allow_none=True, load_default=None, metadata={"description": "a badge code"})
    public = fields.Boolean(load_default=True)


class AwardResultSchema(ma.Schema):
    id = fields.Integer(required=True)
    manager = fields.String(required=True)
    employee_number = fields.String(required=True)
    points = fields.Integer(required=True)
    badge = fields.String(allow_none=True, required=True)
    public = fields.Boolean(required=True)
    awarded_on = fields.Date(required=True)
    budget_left = fields.Integer(required=True, metadata={"description": "points left in the manager's month"})
