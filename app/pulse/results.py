"""Pulse survey results: eNPS with n and margin per store, region and company, hidden under 5 answers (and where
a subtraction would reveal fewer), the trend across surveys, and eNPS against the stores' customer NPS; beside
them the customer NPS and, per store, the HR engagement figures (turnover, absenteeism) of the survey's period."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.feedback import aggregate, engagement
from app.feedback.kpi import NPS_CATEGORIES, NpsResult, nps_from_counts
from app.org.models import Region, Store
from app.periods import Period
from app.pulse.anonymity import MIN_GROUP, correlation, mean_score, suppress
from app.pulse.models import PulseAnswer, PulseStore, PulseSurvey


@dataclass(frozen=True)
class Figure:
    """One group's eNPS; `result` is None when the group is hidden (not enough answers)."""

    key: str
    label: str
    result: NpsResult | None

    @property
    def hidden(self) -> bool:
        return self.result is None


@dataclass(frozen=True)
class ItemFigure:
    """The company mean of an optional 1–5 question; None when fewer than 5 people answered it."""

    position: int
    text_fr: str
    text_en: str
    mean: Decimal | None
    n: int | None


@dataclass(frozen=True)
class Results:
    survey: PulseSurvey
    company: Figure
    regions: list[Figure]
    stores: list[tuple[str, Figure]]  # (region, store figure), by region then store code
    items: list[ItemFigure]


def _counts(survey: PulseSurvey) -> dict[int, tuple[int, int, int]]:
    """Promoters, passives and detractors per store id."""

    def count(category: str) -> sa.ColumnElement[int]:
        low, high = NPS_CATEGORIES[category]
        return sa.func.sum(sa.case((PulseAnswer.enps.between(low, high), 1), else_=0))

    rows = db.session.execute(
        sa.select(PulseAnswer.store_id, count("promoter"), count("passive"), count("detractor"))
        .where(PulseAnswer.survey_id == survey.id)
        .group_by(PulseAnswer.store_id)
    )
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in rows}


def _add(*counts: tuple[int, int, int]) -> tuple[int, int, int]:
    return (sum(c[0] for c in counts), sum(c[1] for c in counts), sum(c[2] for c in counts))


def results(survey: PulseSurvey) -> Results:
    """The survey's figures with everything that would isolate fewer than 5 answers left out."""
    counts = _counts(survey)
    stores = sorted(
        db.session.scalars(sa.select(Store).join(PulseStore).where(PulseStore.survey_id == survey.id)),
        key=lambda s: (s.region.name, s.code),
    )
    zero = (0, 0, 0)
    hidden = suppress({s.code: (s.region.name, sum(counts.get(s.id, zero))) for s in stores})
    company = Figure("company", "", None if hidden.company else nps_from_counts(*_add(*counts.values(), zero)))
    regions: list[Figure] = []
    by_store: list[tuple[str, Figure]] = []
    for region in sorted({s.region.name for s in stores}):
        members = [s for s in stores if s.region.name == region]
        total = _add(*(counts.get(s.id, zero) for s in members))
        regions.append(Figure(region, region, None if region in hidden.regions else nps_from_counts(*total)))
        for s in members:
            shown = s.code not in hidden.stores
            figure = Figure(s.code, s.name, nps_from_counts(*counts.get(s.id, zero)) if shown else None)
            by_store.append((region, figure))
    return Results(survey, company, regions, by_store, _items(survey))


def _items(survey: PulseSurvey) -> list[ItemFigure]:
    # The 1–5 questions are optional, so each has its own n: shown for the company only, and only from 5 answers.
    sums: dict[str, list[int]] = {}
    for (items,) in db.session.execute(sa.select(PulseAnswer.items).where(PulseAnswer.survey_id == survey.id)):
        for position, score in (items or {}).items():
            total = sums.setdefault(str(position), [0, 0])
            total[0] += int(score)
            total[1] += 1
    figures = []
    for question in survey.items:
        total, n = sums.get(str(question.position), [0, 0])
        enough = n >= MIN_GROUP
        figures.append(
            ItemFigure(
                question.position,
                question.text_fr,
                question.text_en,
                mean_score(total, n) if enough else None,
                n if enough else None,
            )
        )
    return figures


def as_json(res: Results) -> dict[str, Any]:
    """What `flask pulse results ID --json` prints (hidden groups say so and carry no figure)."""
    company = res.company.result
    out: dict[str, Any] = {
        "id": res.survey.id,
        "name": res.survey.name,
        "period": res.survey.period,
        "status": res.survey.status,
        "enps": company.nps if company else None,
        "n": company.n if company else None,
        "moe": company.moe if company else None,
        "promoters": company.promoters if company else None,
        "passives": company.passives if company else None,
        "detractors": company.detractors if company else None,
    }
    if company is None:
        out["hidden"] = True
    out["by_region"] = [
        {"region": f.key, "hidden": True}
        if f.result is None
        else {"region": f.key, "enps": f.result.nps, "n": f.result.n}
        for f in res.regions
    ]
    out["by_store"] = [
        {"store": f.key, "hidden": True}
        if f.result is None
        else {"store": f.key, "enps": f.result.nps, "n": f.result.n}
        for _region, f in res.stores
    ]
    out["questions"] = [
        {"position": i.position, "text_fr": i.text_fr, "text_en": i.text_en, "mean": i.mean, "n": i.n}
        | ({} if i.mean is not None else {"hidden": True})
        for i in res.items
    ]
    return out


@dataclass(frozen=True)
class TrendRow:
    survey: PulseSurvey
    figure: Figure


def trend(limit: int = 12) -> list[TrendRow]:
    """The company eNPS of the last `limit` surveys, oldest first (a survey with fewer than 5 answers is hidden)."""
    recent = db.session.scalars(
        sa.select(PulseSurvey).order_by(PulseSurvey.period.desc(), PulseSurvey.id.desc()).limit(limit)
    )
    rows = []
    for survey in reversed(list(recent)):
        counts = _counts(survey)
        total = _add(*counts.values(), (0, 0, 0))
        shown = sum(total) >= MIN_GROUP
        rows.append(TrendRow(survey, Figure("company", survey.name, nps_from_counts(*total) if shown else None)))
    return rows


@dataclass(frozen=True)
class StorePair:
    code: str
    name: str
    enps: Decimal
    enps_n: int
    nps: Decimal
    nps_n: int


@dataclass(frozen=True)
class Scatter:
    pairs: list[StorePair]
    r: Decimal | None

    @property
    def n(self) -> int:
        return len(self.pairs)


def enps_against_nps(res: Results) -> Scatter:
    """Each shown store's eNPS (5 answers or more) beside its customer NPS of the survey's period, and Pearson's r."""
    shown = {f.key: f for _region, f in res.stores if f.result is not None and f.result.n >= MIN_GROUP}
    if not shown:
        return Scatter([], None)
    stores = {s.code: s for s in db.session.scalars(sa.select(Store).where(Store.code.in_(list(shown))))}
    customer = aggregate.kpis_by_store(Period.parse(res.survey.period), [s.id for s in stores.values()])
    pairs = []
    for code, figure in sorted(shown.items()):
        summary = customer.get(stores[code].id)
        nps = summary.nps if summary is not None else None
        if nps is None or nps.nps is None or figure.result is None or figure.result.nps is None:
            continue
        pairs.append(StorePair(code, figure.label, figure.result.nps, figure.result.n, nps.nps, nps.n))
    return Scatter(pairs, correlation([(p.nps, p.enps) for p in pairs]))


@dataclass(frozen=True)
class Beside:
    """What the results page shows next to eNPS for the survey's period: customer NPS per store, region and company,
    and turnover and absenteeism per store only (HR figures, not answers: no anonymity rule, but not pooled here)."""

    nps: dict[str, NpsResult | None]  # by store code, region name and "company"
    engagement: dict[str, engagement.Engagement]  # by store code; a store without imported figures is absent


def beside(res: Results) -> Beside:
    """Customer NPS and engagement figures of the survey's period for the stores and regions on the page."""
    period = Period.parse(res.survey.period)
    codes = [f.key for _region, f in res.stores]
    stores = {s.id: s.code for s in db.session.scalars(sa.select(Store).where(Store.code.in_(codes)))}
    by_store = aggregate.kpis_by_store(period, list(stores))
    nps: dict[str, NpsResult | None] = {
        code: by_store[sid].nps if sid in by_store else None for sid, code in stores.items()
    }
    names = [f.key for f in res.regions]
    for region_id, name in db.session.execute(sa.select(Region.id, Region.name).where(Region.name.in_(names))):
        nps[name] = aggregate.kpis(aggregate.Scope.region(region_id), period).nps
    nps["company"] = aggregate.kpis(aggregate.Scope.company(), period).nps
    figures = engagement.engagement_by_store(period, list(stores))
    return Beside(nps, {stores[sid]: e for sid, e in figures.items()})
