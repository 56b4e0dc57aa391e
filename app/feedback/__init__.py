"""Customer feedback: survey import and webhook, KPIs and dashboards, follow-up cases."""

from typing import Any


def __getattr__(name: str) -> Any:
    # Until routes_ingest.py and api.py import `bp` from app.feedback.blueprint: loaded on demand, so that importing
    # the pure app.feedback.kpi does not load Flask.
    if name == "bp":
        from app.feedback.blueprint import bp

        return bp
    raise AttributeError(name)
