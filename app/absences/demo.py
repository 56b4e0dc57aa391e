"""Demo absences for `flask seed-demo`, dated around "today" so that both demo runs count some.

They go through the import's own checks (plan, then apply), as a file from HR would. Flushes only; the command
commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from app.absences import services
from app.core.tabular import Table
from app.periods import Period


def demo_rows(numbers: Sequence[str], today: date) -> list[dict[str, str]]:
    """Absences for a handful of the given employees: in the quarter before today's, and in today's quarter."""
    past = Period.containing(today, "quarter").previous()
    current = Period.containing(today, "quarter")
    day = lambda period, offset: (period.start + timedelta(days=offset)).isoformat()  # noqa: E731
    plan = [
        # (employee, kind, period, first day offset, last day offset)
        (0, "unpaid_leave", past, 32, 36),  # five days of unpaid leave: the demo employee's statement shows them
        (1, "sick_leave", past, 10, 19),
        (2, "maternity_leave", past, 20, 91),  # counts as presence: no reduction
        (3, "paternity_leave", current, 14, 38),
        (4, "work_accident", current, 5, 25),
        (5, "unpaid_leave", current, 1, 3),
        (5, "sick_leave", current, 2, 6),  # overlaps the unpaid leave: each day is taken off once
    ]
    return [
        {"employee_number": numbers[who], "start": day(period, first), "end": day(period, last), "kind": kind}
        for who, kind, period, first, last in plan
        if who < len(numbers)
    ]


def seed_absences(numbers: Sequence[str], today: date) -> int:
    """Import the demo absences of the given employees (the first is the demo employee); give how many."""
    services.ensure_default_kinds()
    rows = demo_rows(numbers, today)
    table = Table(columns=list(services.ABSENCE_COLUMNS), rows=[(i + 2, row) for i, row in enumerate(rows)])
    return services.apply_absences(services.plan_absences(table))["new"]
