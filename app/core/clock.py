"""The company's clock: its time zone, today and now there, and the one conversion of a stored instant to local time.

Instants are stored in UTC (`app.dbtypes.UTCDateTime`); people read them on the company's wall clock
(`PRIMO_TIMEZONE`). Every page, document, export and message converts through `local` here, exactly once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app


def zone(name: str | None = None) -> ZoneInfo:
    """The company's time zone (or the zone named, for a document that carries its own)."""
    return ZoneInfo(name or current_app.config["PRIMO_TIMEZONE"])


def now() -> datetime:
    """Now on the company's wall clock, time-zone aware."""
    return datetime.now(UTC).astimezone(zone())


def today() -> date:
    """Today in the company's time zone: what "today", "this month" and "this quarter" mean everywhere."""
    return now().date()


def local(moment: datetime, zone_name: str | None = None) -> datetime:
    """A stored instant on the company's wall clock, time-zone aware; a naive value is taken as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone(zone_name))


def wall_clock(moment: datetime, zone_name: str | None = None) -> datetime:
    """A stored instant as a naive company-local datetime, for formats with no time zone (Excel cells)."""
    return local(moment, zone_name).replace(tzinfo=None)


def local_midnight(day: date) -> datetime:
    """The instant a company-local day begins, time-zone aware (for comparing with stored instants)."""
    return datetime.combine(day, time(), zone())
