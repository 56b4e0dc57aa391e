"""Statement builders: plain `StatementData` in, HTML text or PDF / Excel bytes out, in the employee's language.

They know nothing of HTTP or the database. The HTML and Excel builders need an application context (templates and
the message catalogue); the PDF builder turns that HTML into bytes with the static-only WeasyPrint renderer.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date
from flask import render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.core import formatting, numbers
from app.core.numbers import NBSP
from app.incentives.forms import JOB_ROLES
from app.incentives.runs import status_label
from app.periods import Period, PeriodError
from app.reports import charts
from app.reports.pdf import StaticOnlyFetcher, render_pdf
from app.reports.statement import ComponentView, PartView, StatementData

STYLESHEETS = ("statement.css",)


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
    labels = {choice.value: choice.label for choice in JOB_ROLES}
    return str(labels[role]) if role in labels else role


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


def curve_svg(component: ComponentView) -> Markup:
    point = component.measured
    return charts.curve_chart(
        component.curve,
        component.direction,
        marker=point,
        marker_achievement=component.achievement if point is not None else None,
        moe=component.moe if component.measure == "value" else None,
        title=_("Payout curve of %(kpi)s", kpi=component.kpi_name),
        x_label=component.kpi_name + (f" ({component.unit})" if component.unit else ""),
    )


def weighted_formula(part: PartView, f: Numbers) -> str:
    terms = [f"{f.pct(c.weight)} × {f.pct(c.achievement)}" for c in part.components]
    return " + ".join(terms) + f" = {f.pct(part.weighted_achievement)}"


def _context(data: StatementData, logo_src: str | None) -> dict:
    f = numbers_for(data)
    curves = {(i, c.key): curve_svg(c) for i, part in enumerate(data.parts) for c in part.components}
    return {
        "s": data,
        "f": f,
        "curves": curves,
        "curve_lines": lambda c: curve_lines(c, f),
        "measure_label": lambda c: measure_label(c, f),
        "scope_label": scope_label,
        "fallback_label": lambda c: fallback_label(c, f),
        "status_label": status_label,
        "job_role_label": job_role_label,
        "weighted_formula": lambda part: weighted_formula(part, f),
        "logo_src": logo_src,
    }


def build_statement_html(data: StatementData, *, page: bool = False, logo_src: str | None = None, **extra) -> str:
    """The statement as a standalone HTML document (for WeasyPrint), or as a page of the site when `page`."""
    with force_locale(data.language):
        if page:
            return render_template("reports/statement_page.html", **_context(data, logo_src), **extra)
        return render_template("reports/statement_document.html", **_context(data, data.logo or None))


def build_statement_pdf(data: StatementData, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """The statement as PDF bytes; the logo and styles may only come from app/static."""
    return render_pdf(build_statement_html(data), stylesheets=STYLESHEETS, fetcher=fetcher)


def build_statement_xlsx(data: StatementData) -> bytes:
    """The statement as an Excel workbook of one sheet: numbers, percentages and dates as real cells."""
    from app.reports.statement_xlsx import write_statement

    with force_locale(data.language):
        workbook = write_statement(data)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def page_logo(data: StatementData) -> str | None:
    """The logo URL for a web page: only a file of app/static (the CSP would refuse anything else anyway)."""
    from app.reports.sources import static_logo

    found = static_logo(data.logo)
    return url_for("static", filename=found) if found else None
