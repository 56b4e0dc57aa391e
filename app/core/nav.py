"""The navigation bar grouped by job: a few top-level entries, each a menu of the pages a user's roles open.

A group with one page is shown as a plain link; the page being read (and its group) is marked current: the
link whose address is the page's, else the one whose address is the longest prefix of it (/runs/3 → Bonus runs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _

from app.auth.models import User

Allowed = Callable[[User], bool]


def _roles(*roles: str) -> Allowed:
    return lambda user: user.has_role(*roles)


def N_(text: str) -> str:
    """Mark a label for the catalogue's extraction; it is translated when the menu is built."""
    return text


def _employee(user: User) -> bool:
    return user.employee_id is not None


@dataclass(frozen=True)
class NavLink:
    key: str  # the link's data-nav hook (tests and styles use it)
    label: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: str
    links: tuple[NavLink, ...]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


# (group key, group label, [(data-nav, label, endpoint, url arguments, who sees it)]); labels are msgids.
_MENU: tuple[tuple[str, str, tuple[tuple[str, str, str, dict, Allowed], ...]], ...] = (
    (
        "customers",
        N_("Customers"),
        (
            ("dashboard", N_("Dashboard"), "feedback.dashboard", {}, _roles("manager", "hr")),
            ("responses", N_("Responses"), "feedback.responses", {}, _roles("hr")),
            ("cases", N_("Follow-up"), "feedback.cases", {}, _roles("manager", "hr", "employee")),
            ("happy", N_("Happy customers"), "feedback.happy", {}, _roles("manager", "hr", "employee")),
            ("flags", N_("Flags"), "feedback.flag_list", {}, _roles("manager", "hr")),
            ("kpis", N_("KPIs"), "feedback.kpi_definitions", {}, _roles("hr")),
            ("pulse", N_("Pulse surveys"), "pulse.index", {}, _roles("hr")),
            ("surveys", N_("Survey imports"), "feedback.ingest_upload", {}, _roles("hr")),
        ),
    ),
    (
        "pay",
        N_("Pay"),
        (
            ("bonus", N_("My bonus"), "incentives.my_bonus", {}, _employee),
            ("objectives", N_("My objectives"), "incentives.my_objectives", {}, _employee),
            ("statements", N_("My statements"), "reports.my_statements", {}, _employee),
            ("schemes", N_("Bonus schemes"), "incentives.schemes", {}, _roles("hr")),
            ("runs", N_("Bonus runs"), "incentives.runs_list", {}, _roles("hr")),
            ("questions", N_("Questions"), "incentives.questions_queue", {}, _roles("hr")),
            ("simulation", N_("Simulation"), "incentives.simulation_page", {}, _roles("hr")),
            ("payroll", N_("Payroll"), "reports.payroll_index", {}, _roles("hr", "payroll")),
        ),
    ),
    (
        "recognition",
        N_("Recognition"),
        (
            ("points", N_("My points"), "recognition.index", {}, _employee),
            ("award", N_("Give an award"), "recognition.award", {}, _roles("manager")),
            ("recognition", N_("Recognition"), "recognition.redemptions", {}, _roles("hr")),
        ),
    ),
    (
        "people",
        N_("People"),
        (
            ("stores", N_("Stores"), "org.stores", {}, _roles("manager", "hr")),
            ("employees", N_("Employees"), "org.employees", {}, _roles("manager", "hr")),
            ("imports", N_("Imports"), "org.import_upload", {"kind": "employees"}, _roles("hr")),
            ("mappings", N_("Column mappings"), "mappings.index", {}, _roles("hr")),
            ("users", N_("Users"), "auth.users", {}, _roles("hr")),
        ),
    ),
    ("reports", N_("Reports"), (("reports", N_("Reports"), "reports.reports_index", {}, _roles("hr")),)),
    (
        "admin",
        N_("Admin"),
        (
            ("settings", N_("Settings"), "core.company_settings", {}, _roles("hr")),
            ("audit", N_("Audit log"), "audit.index", {}, _roles("hr")),
            ("api-tokens", N_("API tokens"), "auth.api_tokens_page", {}, _roles("hr")),
            ("webhooks", N_("Webhooks"), "webhooks.endpoints", {}, _roles("hr")),
        ),
    ),
)


def _current_href(hrefs: list[str], path: str) -> str | None:
    """The address that names the page at `path`: the same one, else the longest one it lies under."""
    if path in hrefs:
        return path
    under = [h for h in hrefs if h != "/" and path.startswith(h.split("?", 1)[0].rstrip("/") + "/")]
    return max(under, key=len) if under else None


def menu_for(user: User, path: str) -> list[NavGroup]:
    """The groups of pages `user` may open (empty groups left out), the one at `path` marked current."""
    chosen: list[tuple[str, str, list[tuple[str, str, str]]]] = []
    for key, label, entries in _MENU:
        links = [
            (nav, _(text), url_for(endpoint, **args)) for nav, text, endpoint, args, allowed in entries if allowed(user)
        ]
        if links:
            chosen.append((key, _(label), links))
    if user.employee_id is not None:
        profile = url_for("org.employee_detail", employee_id=user.employee_id)
        chosen.append(("me", _("My profile"), [("me", _("My profile"), profile)]))
    current = _current_href([href for _key, _label, links in chosen for _n, _t, href in links], path)
    return [
        NavGroup(key, label, tuple(NavLink(nav, text, href, href == current) for nav, text, href in links))
        for key, label, links in chosen
    ]
