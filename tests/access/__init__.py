"""The access table: for every route, the status each kind of user gets (see tests/integration/test_access_table.py).

Each feature keeps its lines in a module of this package exporting `TABLE: dict[str, Case]`; the test merges
them all, so a route that no module lists fails the suite. A module may also export `SCENARIOS: dict[str, Case]`:
more lines for a route whose answer depends on what is posted (a filled-in form), named after what they try.

Lines are checked with the company settings at their defaults, then again with managers allowed to read their
team's statements: `managers_read` gives the statuses that change then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "employee", "manager", "payroll", "hr")

# A path builder gets the `world` fixture (two stores in two regions, users per role) and the role.
PathFor = Callable[[dict[str, Any], str], str]
# Form fields to post (a valid CSRF token is added), from the world and the role.
FormFor = Callable[[dict[str, Any], str], dict[str, str]]
# Checks what the request left behind: (world, role, managers_read) → raises AssertionError if wrong.
Check = Callable[[dict[str, Any], str, bool], None]


@dataclass(frozen=True)
class Case:
    """How one route answers: the method, a path to an object of the user's own (or their team's) and the
    expected status per role; optionally a path to a stranger's object and what each role gets there."""

    method: str
    own: PathFor
    expect: dict[str, int]
    foreign: PathFor | None = None
    expect_foreign: dict[str, int] = field(default_factory=dict)
    form: FormFor | None = None
    leaves: Check | None = None
    # Statuses (of the roles that change) when managers may read their team's statements.
    managers_read: dict[str, int] = field(default_factory=dict)
    managers_read_foreign: dict[str, int] = field(default_factory=dict)

    def expected(self, role: str, managers_read: bool) -> int:
        return (self.managers_read if managers_read else {}).get(role, self.expect[role])

    def expected_foreign(self, role: str, managers_read: bool) -> int:
        return (self.managers_read_foreign if managers_read else {}).get(role, self.expect_foreign[role])


def fixed(path: str) -> PathFor:
    return lambda world, role: path


def everyone(status: int, anonymous: int = 302) -> dict[str, int]:
    return {"anonymous": anonymous, "employee": status, "manager": status, "payroll": status, "hr": status}


def only(allowed: dict[str, int], anonymous: int = 302) -> dict[str, int]:
    """403 for every role but those given; anonymous users are sent to the login page (or 401 on the API)."""
    expected = {role: 403 for role in ROLES}
    expected["anonymous"] = anonymous
    expected.update(allowed)
    return expected
