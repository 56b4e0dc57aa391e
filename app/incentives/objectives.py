"""Objectives: publish a scheme version for a period, find who it applies to, record acknowledgments.

Who is eligible is decided by the engine itself (a run over the employee with no figures: a line means
eligible), so the objectives page and the run can never disagree. Services flush; the route commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.audit.services import current_actor, record
from app.core import clock
from app.extensions import db
from app.feedback.models import KpiDefinition
from app.incentives import engine, wording
from app.incentives.models import ObjectiveAck, ObjectivePublication, SchemeVersion
from app.incentives.runs import facts_of, period_employees, period_facts
from app.incentives.scheme_format import SchemeDocument
from app.incentives.schemes import document_of, freeze
from app.org.models import Employee
from app.periods import Period, PeriodError


class ObjectivesError(ValueError):
    """A publication or acknowledgment that cannot be made; the message names the field."""


class AlreadyPublished(ObjectivesError):
    """This version is already published for this period (a 409)."""


def publish(version: SchemeVersion, period_label: str, published_at: datetime | None = None) -> ObjectivePublication:
    """Publish a version's objectives for a period; the version freezes so what employees read never changes."""
    try:
        period = Period.parse(period_label)
    except PeriodError as exc:
        raise ObjectivesError(f"period: {exc}") from None
    if period.kind != version.period_type:
        raise ObjectivesError(f"period: {version.scheme.code} is paid per {version.period_type}, not per {period.kind}")
    document = document_of(version)
    if document.is_interessement:
        # Intéressement sets no individual objectives: its agreement (the scheme) and the sheet say everything.
        raise ObjectivesError(f"scheme: {version.scheme.code} is an intéressement scheme: it has no objectives")
    if not document.valid_for(period):
        raise ObjectivesError(f"period: {period} is outside the scheme's validity")
    existing = db.session.scalar(
        sa.select(ObjectivePublication).where(
            ObjectivePublication.version_id == version.id, ObjectivePublication.period == str(period)
        )
    )
    if existing is not None:
        raise AlreadyPublished(f"version {version.version} is already published for {period}")
    publication = ObjectivePublication(version=version, period=str(period), published_by=current_actor()[1])
    if published_at is not None:
        publication.published_at = published_at
    db.session.add(publication)
    freeze(version)
    db.session.flush()
    record(
        "objectives.publish",
        "scheme",
        version.scheme.code,
        summary=f"version {version.version} for {period}",
        after={"publication": publication.id, "version": version.version, "period": str(period)},
    )
    return publication


def spec_and_period(publication: ObjectivePublication) -> tuple[SchemeDocument, engine.SchemeSpec, Period]:
    document = document_of(publication.version)
    return document, document.spec(publication.version.version), Period.parse(publication.period)


def eligible_lines(
    publication: ObjectivePublication, facts: Iterable[engine.EmployeeFacts]
) -> dict[str, list[engine.LineResult]]:
    """The engine's lines (no figures) per eligible employee number: who this publication speaks to."""
    _document, spec, period = spec_and_period(publication)
    result = engine.compute_run(spec, period, facts, {})
    lines: dict[str, list[engine.LineResult]] = {}
    for line in result.lines:
        lines.setdefault(line.employee_number, []).append(line)
    return lines


def eligible_employees(publication: ObjectivePublication) -> list[Employee]:
    """Everyone the publication applies to, by name (a constant number of queries)."""
    period = Period.parse(publication.period)
    facts, _employee_ids, _store_ids = period_facts(period)
    numbers = eligible_lines(publication, facts)
    employees = period_employees(period)
    return sorted((e for e in employees if e.number in numbers), key=lambda e: (e.last_name, e.first_name, e.number))


def publications_for(employee: Employee) -> list[tuple[ObjectivePublication, list[engine.LineResult]]]:
    """The publications that apply to an employee, newest period first, with their (figure-less) lines."""
    facts = facts_of([employee.id]).get(employee.id)
    if facts is None:
        return []
    found = []
    publications = db.session.scalars(
        sa.select(ObjectivePublication).order_by(
            ObjectivePublication.period.desc(), ObjectivePublication.published_at.desc()
        )
    )
    for publication in publications:
        lines = eligible_lines(publication, [facts]).get(employee.number)
        if lines:
            found.append((publication, lines))
    return found


def lines_for(publication: ObjectivePublication, employee: Employee) -> list[engine.LineResult] | None:
    """The employee's figure-less lines under a publication, or None when it does not apply to them."""
    facts = facts_of([employee.id]).get(employee.id)
    if facts is None:
        return None
    return eligible_lines(publication, [facts]).get(employee.number)


def acknowledge(publication: ObjectivePublication, employee: Employee) -> tuple[ObjectiveAck, bool]:
    """Record that the employee read their objectives; a second acknowledgment keeps the first one's time."""
    ack = db.session.scalar(
        sa.select(ObjectiveAck).where(
            ObjectiveAck.publication_id == publication.id, ObjectiveAck.employee_id == employee.id
        )
    )
    if ack is not None:
        return ack, False
    ack = ObjectiveAck(publication_id=publication.id, employee_id=employee.id)
    db.session.add(ack)
    db.session.flush()
    record(
        "objectives.acknowledge",
        "objective_publication",
        publication.id,
        summary=f"{employee.number} read {publication.version.scheme.code} v{publication.version.version} "
        f"{publication.period}",
        after={"employee": employee.number, "acknowledged_at": ack.acknowledged_at},
    )
    from app.recognition import rules  # imported here: recognition loads after incentives

    rules.on_objectives_acknowledged(ack.id, employee.id, clock.local(ack.acknowledged_at).date())
    return ack, True


def acks_of(publication: ObjectivePublication) -> dict[int, ObjectiveAck]:
    return {
        ack.employee_id: ack
        for ack in db.session.scalars(sa.select(ObjectiveAck).where(ObjectiveAck.publication_id == publication.id))
    }


def custom_kpi_names() -> dict[str, tuple[str, str]]:
    """HR's own KPIs as (name, unit) by code, for the plain words."""
    return {d.code: (d.name, d.unit) for d in db.session.scalars(sa.select(KpiDefinition))}


@dataclass(frozen=True)
class ObjectivesDocument:
    """What an employee reads: the French text of record, and a translation when their language differs."""

    publication: ObjectivePublication
    employee: Employee | None
    french: wording.ObjectivesText
    translation: wording.ObjectivesText | None


def objectives_document(
    publication: ObjectivePublication,
    employee: Employee | None,
    lines: list[engine.LineResult] | None,
    currency: str,
) -> ObjectivesDocument:
    """The objectives of a publication in French, translated into the employee's language when it is not French."""
    document, _spec, period = spec_and_period(publication)
    personal = None
    if lines:
        first = lines[0]
        personal = wording.PersonalFigures(first.period_base, first.target, employee.fte if employee else first.fte)
    custom = custom_kpi_names()

    def text(lang: str) -> wording.ObjectivesText:
        return wording.objectives_text(
            document, publication.period, period.months, lang, currency, personal=personal, custom=custom
        )

    lang = wording.language_of(employee.language if employee else None)
    return ObjectivesDocument(publication, employee, text("fr"), text(lang) if lang != "fr" else None)
