"""The demo's main pages per role, shared by the load bench (Locust), its one-at-a-time timings and the profiler.

A path may name `{run}` (the demo's approved run), `{me}` (the user's own employee id), `{store}` (the user's first
store) or `{employee}` (an employee of that store); `resolve` fills them from the seeded database.
"""

from __future__ import annotations

DEMO_PASSWORD = "primo-demo"

# role: (demo account, [(page name, path), …]); the first pages of a journey are the ones people open most.
JOURNEYS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "employee": (
        "employee@example.com",
        [
            ("home", "/"),
            ("my bonus", "/my/bonus"),
            ("my statements", "/my/statements"),
            ("statement", "/runs/{run}/statement/{me}"),
            ("recognition", "/recognition/"),
            ("catalogue", "/recognition/catalogue"),
            ("feed", "/recognition/feed"),
        ],
    ),
    "manager": (
        "manager@example.com",
        [
            ("home", "/"),
            ("dashboard", "/dashboard"),
            ("store dashboard", "/dashboard/store/{store}"),
            ("cases", "/cases"),
            ("happy", "/happy"),
            ("recognition", "/recognition/"),
            ("my bonus", "/my/bonus"),
        ],
    ),
    "hr": (
        "hr@example.com",
        [
            ("home", "/"),
            ("runs", "/runs"),
            ("run", "/runs/{run}"),
            ("statement", "/runs/{run}/statement/{employee}"),
            ("dashboard", "/dashboard"),
            ("cases", "/cases"),
            ("employees", "/employees"),
        ],
    ),
}


def resolve(path: str, session, email: str) -> str:
    """Fill a journey path's placeholders from the seeded demo database."""
    if "{" not in path:
        return path
    import sqlalchemy as sa

    from app.auth.models import User
    from app.incentives.models import BonusRun, RunLine
    from app.org.models import Assignment, Store

    user = session.scalar(sa.select(User).where(User.email == email))
    run = session.scalar(sa.select(BonusRun.id).where(BonusRun.status == "approved").order_by(BonusRun.id))
    me = user.employee_id if user is not None else None
    store = session.scalar(
        sa.select(Assignment.store_id).where(Assignment.employee_id == me).order_by(Assignment.start_date.desc())
        if me
        else sa.select(Store.id).order_by(Store.id)
    )
    employee = session.scalar(sa.select(RunLine.employee_id).where(RunLine.run_id == run).order_by(RunLine.id))
    return path.format(run=run, me=me, store=store, employee=employee)
