"""Pay and reporting periods ("2026-07", "2026-Q3", "2026"): parsing, date ranges, neighbours."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["month", "quarter", "year"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
# Years a period may name: wide enough for any pay history, narrow enough that every neighbour (the next month,
# the same period last year, a pooled previous period) stays a valid date.
FIRST_YEAR = 2000
LAST_YEAR = 2100


class PeriodError(ValueError):
    """A period label that cannot be read, or names a year outside FIRST_YEAR–LAST_YEAR; `text` is the label, and
    `month` the impossible month or `year` the year out of range, so that a page can say it in its own language."""

    def __init__(self, message: str, text: str = "", *, month: int | None = None, year: int | None = None) -> None:
        super().__init__(message)
        self.text, self.month, self.year = text, month, year


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, quarter or year."""

    year: int
    kind: PeriodKind
    index: int  # month 1–12, quarter 1–4, 1 for a year

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read "2026-07", "2026-Q3" or "2026", of a year from FIRST_YEAR to LAST_YEAR."""
        text = (text or "").strip()
        if m := _MONTH.match(text):
            month = int(m.group(2))
            if not 1 <= month <= 12:
                raise PeriodError(f"no month {month} in {text!r}", text, month=month)
            period = cls(int(m.group(1)), "month", month)
        elif m := _QUARTER.match(text):
            period = cls(int(m.group(1)), "quarter", int(m.group(2)))
        elif m := _YEAR.match(text):
            period = cls(int(m.group(1)), "year", 1)
        else:
            raise PeriodError(f"not a period: {text!r} (expected YYYY-MM, YYYY-Qn or YYYY)", text)
        if not FIRST_YEAR <= period.year <= LAST_YEAR:
            raise PeriodError(f"{text!r}: the year must be from {FIRST_YEAR} to {LAST_YEAR}", text, year=period.year)
        return period

    @classmethod
    def from_month_key(cls, key: int) -> Period:
        """The month of a yyyymm key, as survey responses store their local month (202607 → 2026-07)."""
        return cls(key // 100, "month", key % 100)

    @classmethod
    def containing(cls, day: date, kind: PeriodKind) -> Period:
        """The period of the given kind that holds `day`."""
        if kind == "month":
            return cls(day.year, "month", day.month)
        if kind == "quarter":
            return cls(day.year, "quarter", (day.month - 1) // 3 + 1)
        return cls(day.year, "year", 1)

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.index}"
        return f"{self.year:04d}"

    @property
    def label(self) -> str:
        return str(self)

    @property
    def month_key(self) -> int:
        """The yyyymm key of a month period (2026-07 → 202607), as survey responses store their local month."""
        if self.kind != "month":
            raise ValueError(f"{self} is not a month")
        return self.year * 100 + self.index

    @property
    def months(self) -> int:
        """How many calendar months the period spans (1, 3 or 12)."""
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def first_month(self) -> int:
        if self.kind == "month":
            return self.index
        if self.kind == "quarter":
            return (self.index - 1) * 3 + 1
        return 1

    @property
    def start(self) -> date:
        """First day of the period."""
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        last_month = self.first_month + self.months - 1
        return date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    @property
    def days(self) -> int:
        """Number of calendar days in the period."""
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods of the same kind later (negative: earlier)."""
        if self.kind == "year":
            return Period(self.year + steps, "year", 1)
        per_year = 12 if self.kind == "month" else 4
        zero_based = self.year * per_year + (self.index - 1) + steps
        return Period(zero_based // per_year, self.kind, zero_based % per_year + 1)

    def previous(self) -> Period:
        """The period just before, of the same kind."""
        return self.shifted(-1)

    def same_last_year(self) -> Period:
        """The same month, quarter or year one year earlier."""
        return Period(self.year - 1, self.kind, self.index)

    def month_periods(self) -> list[Period]:
        """The calendar months the period is made of."""
        return [Period(self.year, "month", self.first_month + i) for i in range(self.months)]


def local_date(moment: datetime, tz_name: str) -> date:
    """The calendar date of `moment` in the company time zone; naive datetimes are already local."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(ZoneInfo(tz_name)).date()


def overlap_days(start: date, end: date | None, period: Period) -> int:
    """Days of the inclusive range [start, end] (open-ended if end is None) that fall inside `period`."""
    first = max(start, period.start)
    last = min(end or period.end, period.end)
    return max(0, (last - first).days + 1)


def month_add(day: date, months: int) -> date:
    """The same day `months` months later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    zero_based = day.year * 12 + (day.month - 1) + months
    year, month = divmod(zero_based, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


ONE_DAY = timedelta(days=1)
