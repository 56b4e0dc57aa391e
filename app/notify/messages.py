"""The wording of each notification kind (subject and body), in the language `force_locale` sets.

Parameters are stored with the notification as plain values (dates as ISO text) and worded when it is sent, so a
digest and a retry say the same thing in the recipient's language of the day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from babel.dates import format_date
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _


def _day(value: str) -> str:
    return format_date(date.fromisoformat(value), "long", locale=str(get_locale() or "fr"))


def _points(p: Mapping[str, Any]) -> str:
    return ngettext("%(num)d point", "%(num)d points", int(p["points"]))


Wording = tuple[Callable[[Mapping[str, Any]], str], Callable[[Mapping[str, Any]], str]]

WORDING: dict[str, Wording] = {
    "case_opened": (
        lambda p: _("A customer of %(store)s is waiting for a call", store=p["store"]),
        lambda p: _(
            "A detractor of %(store)s agreed to be called back. Follow-up case %(case)s is due by %(due)s.",
            store=p["store"],
            case=p["case"],
            due=_day(p["due"]),
        ),
    ),
    "case_overdue": (
        lambda p: _("Follow-up case %(case)s at %(store)s is overdue", case=p["case"], store=p["store"]),
        lambda p: _(
            "Follow-up case %(case)s at %(store)s was due by %(due)s and is still open.",
            case=p["case"],
            store=p["store"],
            due=_day(p["due"]),
        ),
    ),
    "compliment_received": (
        lambda p: _("A customer of %(store)s complimented you", store=p["store"]),
        lambda p: (
            _(
                "A customer of %(store)s named you on %(day)s: “%(comment)s”",
                store=p["store"],
                day=_day(p["day"]),
                comment=p["comment"],
            )
            if p.get("comment")
            else _("A customer of %(store)s named you on %(day)s.", store=p["store"], day=_day(p["day"]))
        ),
    ),
    "points_awarded": (
        lambda p: _("You received %(points)s", points=_points(p)),
        lambda p: _(
            "%(giver)s gave you %(points)s: “%(message)s”", giver=p["giver"], points=_points(p), message=p["message"]
        ),
    ),
    "points_expiring": (
        lambda p: _("%(points)s expire on %(day)s", points=_points(p), day=_day(p["day"])),
        lambda p: _(
            "%(points)s of your balance expire on %(day)s: spend them in the rewards catalogue before then.",
            points=_points(p),
            day=_day(p["day"]),
        ),
    ),
    "statement_ready": (
        lambda p: _("Your bonus statement for %(period)s is ready", period=p["period"]),
        lambda p: _(
            "Your bonus statement for %(period)s is ready: read it under “My bonus” in Primo.", period=p["period"]
        ),
    ),
    "run_awaiting_approval": (
        lambda p: _("Bonus run %(run)s awaits approval", run=p["run"]),
        lambda p: _(
            "%(by)s submitted bonus run %(run)s (%(scheme)s, %(period)s): it needs a second pair of eyes.",
            by=p["by"],
            run=p["run"],
            scheme=p["scheme"],
            period=p["period"],
        ),
    ),
    "question_answered": (
        lambda p: _("Your question about your %(period)s statement was answered", period=p["period"]),
        lambda p: _("%(by)s answered: “%(answer)s”", by=p["by"], answer=p["answer"]),
    ),
}


def label(kind: str) -> str:
    """The name of a kind on the preferences page."""
    return {
        "case_opened": _("A follow-up case is opened in my stores"),
        "case_overdue": _("A follow-up case in my stores is overdue"),
        "compliment_received": _("A customer compliments me"),
        "points_awarded": _("I receive points"),
        "points_expiring": _("Some of my points expire within 30 days"),
        "statement_ready": _("My bonus statement is ready"),
        "run_awaiting_approval": _("A bonus run awaits approval"),
        "question_answered": _("My question about a statement is answered"),
    }.get(kind, kind)


def subject(kind: str, params: Mapping[str, Any]) -> str:
    return WORDING[kind][0](params)


def body(kind: str, params: Mapping[str, Any]) -> str:
    return WORDING[kind][1](params)


def footer() -> str:
    return _("You receive this e-mail because of your notification choices in Primo (My account → Notifications).")


def digest_subject(count: int) -> str:
    return ngettext("Your Primo week: %(num)d notification", "Your Primo week: %(num)d notifications", count)
