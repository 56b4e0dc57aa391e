"""Codes as people read them: the one home for the label of every code a page, statement or export shows.

Codes (`sales_associate`, `in_store`, `quarter`, `employee.update`) are what files, the database and the command line
use; a person reads their label in the page's language. `label(kind, code)` gives it, and an unknown code comes back
as it is (a code an import brought in that this version does not know). Templates call `label` too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l

from app.core import formatting, numbers

JOB_ROLES = {
    "sales_associate": _l("Sales associate"),
    "store_manager": _l("Store manager"),
    "regional_manager": _l("Regional manager"),
    "customer_service": _l("Customer service"),
    "logistics": _l("Logistics"),
    "other": _l("Other"),
}
USER_ROLES = {
    "hr": lazy_pgettext("user role", "HR"),
    "manager": lazy_pgettext("user role", "manager"),
    "employee": lazy_pgettext("user role", "employee"),
    "payroll": lazy_pgettext("user role", "payroll"),
}
CHANNELS = {
    "email": lazy_pgettext("survey channel", "e-mail"),
    "sms": lazy_pgettext("survey channel", "SMS"),
    "in_store": lazy_pgettext("survey channel", "in store"),
    "web": lazy_pgettext("survey channel", "website"),
    "phone": lazy_pgettext("survey channel", "phone"),
    "app": lazy_pgettext("survey channel", "mobile app"),
    "webhook": lazy_pgettext("survey channel", "survey tool"),
}
SOURCE_FORMATS = {
    "generic": lazy_pgettext("source format", "generic (the import file's columns)"),
    "typeform": lazy_pgettext("source format", "Typeform"),
}
PERIOD_KINDS = {
    "month": lazy_pgettext("period kind", "month"),
    "quarter": lazy_pgettext("period kind", "quarter"),
    "year": lazy_pgettext("period kind", "year"),
}
DIRECTIONS = {
    "higher": _l("Higher is better"),
    "lower": _l("Lower is better"),
}
SCOPES = {
    "store": _l("Own store"),
    "region": _l("Region"),
    "company": _l("Company"),
}
MEASURES = {
    "value": _l("The value"),
    "change_previous": _l("Change against the previous period"),
    "change_last_year": _l("Change against the same period last year"),
    "interval_bound": _l("Cautious bound of the 95 % interval"),
}
FALLBACKS = {
    "zero": _l("Pay 0 %"),
    "full": _l("Pay 100 %"),
    "pool_previous": _l("Pool with the previous period"),
}
CURVES = {
    "linear": _l("Linear"),
    "steps": _l("Steps"),
}
TARGET_KINDS = {
    "percent_of_base": _l("Percent of the period base salary"),
    "fixed": _l("Fixed amount per period × FTE"),
}
RENDER_STATUSES = {
    "queued": lazy_pgettext("rendering", "queued"),
    "running": lazy_pgettext("rendering", "in progress"),
    "done": lazy_pgettext("rendering", "ready"),
    "failed": lazy_pgettext("rendering", "failed"),
}
RENDER_KINDS = {
    "zip": lazy_pgettext("rendering", "ZIP archive"),
    "pdf": lazy_pgettext("rendering", "single PDF"),
}
TIERS = {
    "bronze": lazy_pgettext("tier", "Bronze"),
    "silver": lazy_pgettext("tier", "Silver"),
    "gold": lazy_pgettext("tier", "Gold"),
}
BUILTIN_KPIS = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "followup_48h": _l("Follow-up within 48 h"),
    "turnover": _l("Turnover % (lower is better)"),
    "absenteeism": _l("Absenteeism % (lower is better)"),
    "response_rate": _l("Response rate %"),
}
AUDIT_OBJECTS = {
    "api_token": _l("API token"),
    "challenge": _l("challenge"),
    "points_rule": _l("automatic points rule"),
    "absence": _l("absence"),
    "absence_kind": _l("absence kind"),
    "award": _l("award"),
    "badge": _l("badge"),
    "budget": _l("budget"),
    "employee": _l("employee"),
    "feedback_source": _l("survey source"),
    "import_mapping": _l("column mapping"),
    "followup_case": _l("follow-up case"),
    "gross_pay": _l("gross pay"),
    "import_batch": _l("survey import"),
    "kpi_definition": _l("indicator"),
    "kpi_value": _l("indicator value"),
    "line_question": _l("question"),
    "objective_publication": _l("objectives"),
    "payroll_export": _l("payroll export"),
    "points": _l("points"),
    "pulse_survey": _l("pulse survey"),
    "redemption": _l("redemption"),
    "region": _l("region"),
    "response_contact": _l("customer details"),
    "reward": _l("reward"),
    "run": _l("run"),
    "scheme": _l("scheme"),
    "setting": _l("setting"),
    "store": _l("store"),
    "survey_response": _l("response"),
    "user": _l("user"),
    "webhook_delivery": _l("webhook deliveries"),
    "webhook_endpoint": _l("webhook endpoint"),
}
AUDIT_ACTIONS = {
    "api.call": _l("API call"),
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "challenge.create": _l("challenge created"),
    "challenge.settle": _l("challenge settled"),
    "notify.preferences": _l("notification choices changed"),
    "points.rule": _l("automatic points awarded"),
    "points.rules_apply": _l("automatic points rules applied"),
    "points_rule.add": _l("automatic points rule added"),
    "points_rule.switch": _l("automatic points rule switched on or off"),
    "absence.create": _l("absence imported"),
    "absence.delete": _l("absence removed"),
    "absence_kind.create": _l("absence kind added"),
    "absence_kind.update": _l("absence kind changed"),
    "award.create": _l("points awarded"),
    "badge.save": _l("badge saved"),
    "badges.evaluate": _l("badges awarded"),
    "budget.set": _l("budget set"),
    "case.assign": _l("case assigned"),
    "case.note": _l("note added to a case"),
    "case.transition": _l("case status changed"),
    "company.settings": _l("company settings changed"),
    "employee.create": _l("employee created"),
    "employee.update": _l("employee changed"),
    "feedback.purge": _l("customer details purged"),
    "feedback.source_create": _l("survey source created"),
    "imports.mapping_save": _l("column mapping saved"),
    "feedback.source_refs": _l("survey source fields changed"),
    "gross_pay.import": _l("gross pay imported"),
    "interessement.settings": _l("intéressement settings changed"),
    "kpi.define": _l("indicator defined"),
    "kpi.import": _l("indicator values imported"),
    "kpi.update": _l("indicator changed"),
    "kpi.value": _l("indicator value entered"),
    "objectives.acknowledge": _l("objectives acknowledged"),
    "objectives.publish": _l("objectives published"),
    "payroll.benefits_export": _l("benefits exported for payroll"),
    "payroll.export": _l("run exported for payroll"),
    "points.expire": _l("points expired"),
    "points.import": _l("points imported"),
    "pulse.close": _l("pulse survey closed"),
    "pulse.create": _l("pulse survey opened"),
    "question.answer": _l("question answered"),
    "question.ask": _l("question asked"),
    "recognition.privacy": _l("recognition privacy changed"),
    "recognition.settings": _l("recognition settings changed"),
    "redemption.approve": _l("redemption approved"),
    "redemption.cancel": _l("redemption cancelled"),
    "redemption.fulfil": _l("reward handed over"),
    "redemption.refund": _l("redemption refunded"),
    "redemption.reject": _l("redemption refused"),
    "redemption.request": _l("reward requested"),
    "region.create": _l("region created"),
    "response.exclude": _l("response excluded"),
    "response.restore": _l("response restored"),
    "reward.save": _l("reward saved"),
    "run.adjust": _l("run line adjusted"),
    "run.approve": _l("run approved"),
    "run.compute": _l("run computed"),
    "run.create": _l("run created"),
    "run.export": _l("run exported"),
    "run.reject": _l("run sent back to draft"),
    "run.statements_queued": _l("statements queued for rendering"),
    "run.submit": _l("run submitted for approval"),
    "scheme.create": _l("scheme created"),
    "scheme.freeze": _l("scheme version frozen"),
    "scheme.new_version": _l("new scheme version"),
    "scheme.update": _l("scheme changed"),
    "setting.change": _l("setting changed"),
    "store.create": _l("store created"),
    "store.update": _l("store changed"),
    "surveys.import": _l("survey answers imported"),
    "surveys.undo": _l("survey import undone"),
    "user.create": _l("user created"),
    "user.disable": _l("user disabled"),
    "user.enable": _l("user enabled"),
    "user.language": _l("language changed"),
    "user.password": _l("password changed"),
    "user.reset_link": _l("password reset link made"),
    "user.roles": _l("roles changed"),
    "webhook.create": _l("webhook endpoint registered"),
    "webhook.disable": _l("webhook endpoint switched off"),
    "webhook.enable": _l("webhook endpoint switched on"),
    "webhook.replay": _l("webhook delivery replayed"),
    "webhooks.purge": _l("old webhook deliveries purged"),
}
WEBHOOK_EVENTS = {
    "run.approved": _l("Bonus run approved"),
    "statements.ready": _l("Statements ready"),
    "case.opened": _l("Follow-up case opened"),
    "points.redeemed": _l("Points redeemed for a reward"),
}
WEBHOOK_STATUSES = {
    "pending": lazy_pgettext("webhook delivery", "waiting"),
    "sending": lazy_pgettext("webhook delivery", "sending"),
    "delivered": lazy_pgettext("webhook delivery", "delivered"),
    "failed": lazy_pgettext("webhook delivery", "failed"),
}

KINDS: Mapping[str, Mapping[str, object]] = {
    "job_role": JOB_ROLES,
    "user_role": USER_ROLES,
    "channel": CHANNELS,
    "period_kind": PERIOD_KINDS,
    "direction": DIRECTIONS,
    "scope": SCOPES,
    "measure": MEASURES,
    "fallback": FALLBACKS,
    "curve": CURVES,
    "target_kind": TARGET_KINDS,
    "render_status": RENDER_STATUSES,
    "render_kind": RENDER_KINDS,
    "tier": TIERS,
    "kpi": BUILTIN_KPIS,
    "audit_object": AUDIT_OBJECTS,
    "audit_action": AUDIT_ACTIONS,
    "webhook_event": WEBHOOK_EVENTS,
    "webhook_status": WEBHOOK_STATUSES,
    "source_format": SOURCE_FORMATS,
}


def label(kind: str, code: str | None) -> str:
    """The label of `code` among the codes of `kind`, in the current language; an unknown code as it is."""
    if code is None:
        return ""
    return str(KINDS[kind].get(code, code))


def choices(kind: str) -> list[tuple[str, object]]:
    """(code, lazy label) pairs for a form's select, in the order the codes are declared."""
    return list(KINDS[kind].items())


FIELDS = {
    "code": _l("code"),
    "version": _l("version"),
    "target_kind": _l("target kind"),
    "target_value": _l("target value"),
    "cap": _l("cap"),
    "pool": _l("pool"),
    "min_tenure_days": _l("minimum tenure"),
    "components": _l("components"),
    "key": _l("key"),
    "kpi_code": _l("KPI"),
    "direction": _l("direction"),
    "scope": _l("scope"),
    "measure": _l("measure"),
    "fallback": _l("fallback"),
    "min_responses": _l("minimum answers"),
    "weight": _l("weight"),
    "curve": _l("curve"),
    "steps": _l("steps"),
    "threshold": _l("threshold"),
    "achievement": _l("achievement"),
    "floor": _l("floor"),
    "target": _l("target"),
    "maximum": _l("maximum"),
    "ceiling": _l("ceiling"),
}
_INDEXED = re.compile(r"(\w+)\[(\d+)\]")


def field_label(path: str) -> str:
    """A field of a scheme document as a person names it: "components[0].curve.steps[1].threshold" →
    "component 1 · step 2 · threshold"."""
    names = []
    for part in path.split("."):
        indexed = _INDEXED.fullmatch(part)
        if indexed and indexed.group(1) == "components":
            names.append(gettext("component %(n)d", n=int(indexed.group(2)) + 1))
        elif indexed and indexed.group(1) == "steps":
            names.append(gettext("step %(n)d", n=int(indexed.group(2)) + 1))
        elif part != "curve" or path == "curve":
            names.append(str(FIELDS.get(part, part)))
    return " · ".join(names)


def problem_text(message: str, *, with_field: bool = True) -> str:
    """A problem found in a document (an `app.incentives.engine.Problem`) in the reader's language: its message,
    after the field it is about unless it is shown next to that field. Other messages come back as they are."""
    template = getattr(message, "template", None)
    if template is None:
        return str(message)
    values = dict(message.values)  # type: ignore[attr-defined]
    if "other" in values:
        values["other"] = field_label(str(values["other"]))
    for name, value in values.items():
        if isinstance(value, Decimal):
            values[name] = numbers.number(value, formatting.language())
    text = gettext(template, **values)
    field = message.field  # type: ignore[attr-defined]
    return f"{field_label(field)}{formatting.colon()} {text}" if field and with_field else text
