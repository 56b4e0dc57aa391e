"""How a statement words and formats its figures, in the employee's language: shared by its HTML and Excel forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _

from app.core import formatting, labels, numbers
from app.core.numbers import NBSP
from app.incentives.wording import absence_terms, presence_sum
from app.periods import Period, PeriodError
from app.reports.statements.data import ComponentView, PartView, ShareView, StatementData


@dataclass(frozen=True)
class Numbers:
    """Formatting for one statement, in the employee's language (numbers and money through app.core.numbers)."""

    language: str
    currency: str
    timezone: str = "Europe/Paris"

    def money(self, value: Decimal | None) -> str:
        return "—" if value is None else numbers.money(value, self.currency, self.language)

    def signed_money(self, value: Decimal) -> str:
        text = self.money(value)
        return ("+" + text) if value > 0 else text

    def money_exact(self, value: Decimal) -> str:
        """An unrounded amount with up to four decimals (at least two), to show what rounding started from."""
        return numbers.money_exact(value, self.currency, self.language)

    def number(self, value: Decimal | int | None, places: int | None = None) -> str:
        """A number with `places` decimals, or as many as it has up to four (no trailing zeros)."""
        return "—" if value is None else numbers.number(value, self.language, places)

    def printed(self, value: Decimal | None, unit: str = "") -> str:
        """A KPI figure with exactly the decimals it was printed (and paid) with: 35.0 stays 35.0."""
        if value is None:
            return "—"
        text = numbers.printed(value, self.language)
        return f"{text}{NBSP}{unit}" if unit else text

    def pct(self, value: Decimal | None) -> str:
        return "—" if value is None else numbers.percent(value, self.language)

    def day(self, value: date | None) -> str:
        return format_date(value, "long", locale=self.language) if value else "—"

    def short_day(self, value: date | None) -> str:
        return format_date(value, "short", locale=self.language) if value else "—"

    def moment(self, value: datetime | None) -> str:
        return formatting.moment(value, "medium", locale=self.language, zone=self.timezone)

    def period(self, label: str | None) -> str:
        """A period by its name: "juillet 2026" / "July 2026", "T3 2026" / "Q3 2026", "2026"; pooled periods
        ("2026-Q2+2026-Q3") name each one."""
        if not label:
            return "—"
        names = []
        for part in label.split("+"):
            try:
                period = Period.parse(part)
            except PeriodError:
                return label
            with force_locale(self.language):
                if period.kind == "month":
                    names.append(format_date(period.start, "LLLL y", locale=self.language))
                elif period.kind == "quarter":
                    names.append(_("Q%(quarter)d %(year)d", quarter=period.index, year=period.year))
                else:
                    names.append(str(period.year))
        return " + ".join(names)


def numbers_for(data: StatementData) -> Numbers:
    return Numbers(data.language, data.currency, data.timezone)


def job_role_label(role: str) -> str:
    """A job role in the current language ("sales_associate" → "Sales associate"); an unknown one as it is."""
    return labels.label("job_role", role)


def scope_label(scope: str, key: str) -> str:
    if scope == "store":
        return _("store %(code)s", code=key)
    if scope == "region":
        return _("region %(name)s", name=key)
    return _("whole company")


def measure_label(component: ComponentView, f: Numbers | None = None) -> str:
    previous = f.period(component.previous_label) if f else component.previous_label or ""
    if component.measure == "change_previous":
        return _("change against the previous period (%(label)s)", label=previous)
    if component.measure == "change_last_year":
        return _("change against the same period last year (%(label)s)", label=previous)
    if component.measure == "interval_bound":
        if component.direction == "lower":
            return _("upper bound of the 95 % interval")
        return _("lower bound of the 95 % interval")
    return _("value of the period")


def fallback_label(component: ComponentView, f: Numbers | None = None) -> str | None:
    used = component.fallback_used
    if not used:
        return None
    if used == "full":
        return _("fewer than %(n)d answers: paid at 100 %% by the scheme's rule", n=component.min_responses)
    if used == "pool_previous":
        return _(
            "fewer than %(n)d answers: measured on the previous and current periods pooled (%(label)s)",
            n=component.min_responses,
            label=f.period(component.pooled_label) if f else component.pooled_label or "",
        )
    if used == "pool_previous_zero":
        return _(
            "fewer than %(n)d answers, even with the previous period pooled: 0 %% by the scheme's rule",
            n=component.min_responses,
        )
    return _("fewer than %(n)d answers: 0 %% by the scheme's rule", n=component.min_responses)


def curve_lines(component: ComponentView, f: Numbers) -> list[str]:
    """The payout curve in words, one line per point, so the achievement can be read off by hand."""
    unit = component.unit
    if component.curve_kind == "steps":
        sign = "≥" if component.direction == "higher" else "≤"
        return [f"{sign} {f.printed(t, unit)} → {f.pct(p)}" for t, p in component.steps]
    c = component.curve_number
    below = "<" if component.direction == "higher" else ">"
    return [
        f"{below} {f.printed(c('threshold'), unit)} → 0{NBSP}%",
        f"{f.printed(c('threshold'), unit)} → {f.pct(c('floor'))}",
        f"{f.printed(c('target'), unit)} → 100{NBSP}%",
        f"{f.printed(c('maximum'), unit)} → {f.pct(c('ceiling'))}",
        _("straight lines in between, flat beyond the maximum"),
    ]


def weighted_formula(part: PartView, f: Numbers) -> str:
    terms = [f"{f.pct(c.weight)} × {f.pct(c.achievement)}" for c in part.components]
    return " + ".join(terms) + f" = {f.pct(part.weighted_achievement)}"


def presence_formula(part: PartView | ShareView, f: Numbers) -> str | None:
    """ "92 days − 5 days unpaid leave = 87/92" when absences were taken off the days (a bonus part's or an
    intéressement share's), else None."""
    if not part.absences:
        return None
    terms = absence_terms(part.absences, f.language)
    assigned = part.assigned_days if part.assigned_days is not None else part.presence_days + part_absence_days(part)
    return presence_sum(assigned, terms, part.period_days, f.language)


def part_absence_days(part: PartView | ShareView) -> int:
    return sum(a.days for a in part.absences)
