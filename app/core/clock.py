"""The company's calendar: what day it is in the company's time zone (`PRIMO_TIMEZONE`)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def today() -> date:
    """Today in the company's time zone (a period "has ended" once this is past its last day)."""
    return datetime.now(ZoneInfo(current_app.config["PRIMO_TIMEZONE"])).date()
