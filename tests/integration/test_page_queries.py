"""Each role's main pages on the demo send a bounded number of SQL statements: a page that starts asking once per
row (an N+1) or per component of the page again fails here, long before anyone measures it under load."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import User
from app.core.seed import DEMO_PASSWORD
from app.extensions import db
from app.incentives.models import BonusRun, RunLine
from tests.conftest import MID_QUARTER, login

# (account, page, most statements): today's count on the demo plus one or two, far below one per row shown; lowered
# as pages lose queries, so that one that comes back fails here.
PAGES = [
    ("employee@example.com", "/", 20),  # the home page with its five cards (issue 14)
    ("employee@example.com", "/my/bonus", 12),  # the demo now also pays an intéressement run
    ("employee@example.com", "/my/statements", 4),
    ("employee@example.com", "/runs/{run}/statement/{me}", 12),
    ("employee@example.com", "/recognition/", 15),  # the history reads what its entries name one query each (#14)
    ("employee@example.com", "/recognition/feed", 11),
    ("manager@example.com", "/", 26),  # the home page with its four cards (issue 14)
    ("manager@example.com", "/dashboard/store/{store}", 17),
    ("manager@example.com", "/cases", 8),
    ("manager@example.com", "/happy", 7),
    ("manager@example.com", "/recognition/", 12),
    ("hr@example.com", "/runs", 8),
    ("hr@example.com", "/runs/{run}", 13),
    ("hr@example.com", "/runs/{run}/statement/{other}", 15),
    ("hr@example.com", "/dashboard", 17),
    ("hr@example.com", "/cases", 8),
]


def test_main_pages_of_each_role_send_a_bounded_number_of_queries(seed_demo, app, frozen_time):
    frozen_time(MID_QUARTER)
    assert seed_demo().exit_code == 0
    run = db.session.scalar(sa.select(BonusRun.id).where(BonusRun.status == "approved"))
    me = db.session.scalar(sa.select(User.employee_id).where(User.email == "employee@example.com"))
    other = db.session.scalar(sa.select(RunLine.employee_id).where(RunLine.run_id == run).order_by(RunLine.id))
    manager = db.session.scalar(sa.select(User).where(User.email == "manager@example.com"))
    store = manager.employee.assignments[-1].store_id
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    too_many = []
    clients = {}
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        for email, path, most in PAGES:
            if email not in clients:
                clients[email] = app.test_client()
                assert login(clients[email], email, DEMO_PASSWORD).status_code == 302
            client = clients[email]
            url = path.format(run=run, me=me, other=other, store=store)
            statements.clear()
            response = client.get(url)
            assert response.status_code == 200, url
            if len(statements) > most:
                too_many.append((url, len(statements), most))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert not too_many, too_many
