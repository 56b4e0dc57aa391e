"""The store ranking of the dashboards: who sees it, and stores ranked by NPS with their change since last period.

HR always sees it; managers do unless HR hides it (they then see their stores against their own past). A store
with fewer answers than the minimum is greyed out and not ranked: its margin of error is too wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app

from app.auth.models import User
from app.core.company import save_setting, saved_setting
from app.feedback import aggregate
from app.feedback.kpi import KpiSummary, change_beyond_margin
from app.org.models import Store
from app.periods import Period

HIDE_RANKING = "hide_ranking_from_managers"


def min_responses() -> int:
    """The dashboards' minimum sample: fewer answers than this and a store's figure is shown as too thin to judge."""
    return int(current_app.config.get("PRIMO_MIN_RESPONSES", 30))


def hidden_from_managers() -> bool:
    return bool(saved_setting(HIDE_RANKING))


def sees_ranking(user: User) -> bool:
    return user.has_role("hr") or not hidden_from_managers()


def hide_from_managers(hide: bool) -> bool:
    """Save whether managers see the ranking (audited when it changes); the caller commits."""
    before = hidden_from_managers()
    if hide == before:
        return False
    return save_setting(HIDE_RANKING, hide, before={"value": before})


@dataclass
class RankRow:
    store: Store
    summary: KpiSummary
    previous: KpiSummary
    rank: int | None = None
    below_min: bool = False

    @property
    def delta(self) -> Decimal | None:
        now, before = self.summary.nps, self.previous.nps
        if now is None or before is None or now.nps is None or before.nps is None:
            return None
        return now.nps - before.nps

    @property
    def clear_change(self) -> bool:
        now, before = self.summary.nps, self.previous.nps
        if self.delta is None:
            return False
        return change_beyond_margin(now.nps, now.moe, before.nps, before.moe)  # type: ignore[union-attr,arg-type]


def rank_stores(period: Period, stores: list[Store], minimum: int) -> list[RankRow]:
    """The stores by NPS, best first (ties by code), then those under `minimum` answers, unranked, by code."""
    ids = [s.id for s in stores]
    now = aggregate.tallies_by_store(period, ids)
    before = aggregate.tallies_by_store(period.previous(), ids)
    rows = [
        RankRow(s, now.get(s.id, aggregate.EMPTY).summary(), before.get(s.id, aggregate.EMPTY).summary())
        for s in stores
    ]
    for row in rows:
        row.below_min = row.summary.nps is None or row.summary.nps.n < minimum
    ranked = sorted(
        (r for r in rows if not r.below_min),
        key=lambda r: (-(r.summary.nps.nps or Decimal(-1000)), r.store.code),  # type: ignore[union-attr]
    )
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    return ranked + sorted((r for r in rows if r.below_min), key=lambda r: r.store.code)
