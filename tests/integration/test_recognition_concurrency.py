"""Concurrent redemptions and awards never overdraw a balance, a budget or a stock (PITFALLS: double-spends).

Each attempt runs in its own thread with its own app context, session and connection (a separate engine sized for
the threads replaces the app's engine for the test). PostgreSQL gets the full load: 200 attempts from 50 threads;
SQLite, which serialises writers on one database lock, a lighter one with the same checks.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from app.core import clock
from app.extensions import db
from app.org.models import Employee
from app.recognition.awards import AwardRefused, award_points, month_of
from app.recognition.budgets import budget_status
from app.recognition.catalogue import RedemptionRefused, change_redemption, request_redemption
from app.recognition.models import Award, PointsEntry, Redemption, Reward

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


def load(app: Flask) -> tuple[int, int]:
    """(threads, attempts) for the database under test."""
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    return (50, 200) if postgres else (8, 40)


@pytest.fixture
def parallel(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[int], str]], Counter]]:
    """Run `attempt(i)` for every i from many threads, each with its own session and connection."""
    threads, attempts = load(app)
    url = db.engine.url
    options: dict[str, object] = {"pool_size": threads + 2, "max_overflow": 0, "pool_timeout": 60}
    if url.get_backend_name() == "sqlite":
        options["connect_args"] = {"timeout": 60, "check_same_thread": False}
    engine = sa.create_engine(url, **options)
    db.session.commit()  # the test's own session lets go of its connection before the engine changes
    monkeypatch.setitem(db._app_engines[app], None, engine)
    start = threading.Barrier(threads)

    def run(attempt: Callable[[int], str]) -> Counter:
        def work(index: int) -> str:
            with app.app_context():
                if index < threads:
                    start.wait(timeout=60)  # let the first wave collide
                try:
                    return attempt(index)
                finally:
                    db.session.rollback()
                    db.session.remove()

        with ThreadPoolExecutor(max_workers=threads) as pool:
            return Counter(pool.map(work, range(attempts)))

    yield run
    db.session.remove()
    engine.dispose()


def test_concurrent_redemptions_never_overdraw_the_balance_or_the_stock(app, world, parallel, credit, make_reward):
    employee_id = world["employee"].id
    _threads, attempts = load(app)
    start = 10 * attempts  # far less than the attempts want: many must be refused
    credit(world["employee"], start, clock.today() - timedelta(days=10))
    scarce = make_reward(name="Mug", kind="goods", cost=30, stock=3).id
    plenty = make_reward(name="Coffee", kind="goods", cost=40).id

    def attempt(index: int) -> str:
        employee = db.session.get(Employee, employee_id)
        reward = db.session.get(Reward, scarce if index % 2 else plenty)
        try:
            redemption = request_redemption(employee, reward)
            db.session.commit()
        except RedemptionRefused as exc:
            db.session.rollback()
            return "out of stock" if "out of stock" in str(exc) else "no points"
        if index % 5 == 0:  # some change their mind at once: points and item go back
            change_redemption(db.session.get(Redemption, redemption.id), "cancel")
            db.session.commit()
            return "cancelled"
        return "held"

    outcomes = parallel(attempt)
    assert set(outcomes) <= {"held", "cancelled", "out of stock", "no points"}
    assert outcomes["no points"] > 0 and outcomes["out of stock"] > 0

    db.session.expire_all()
    pending = list(db.session.scalars(sa.select(Redemption).where(Redemption.status == "pending")))
    cancelled = db.session.scalar(
        sa.select(sa.func.count()).select_from(Redemption).where(Redemption.status == "cancelled")
    )
    assert len(pending) == outcomes["held"] and cancelled == outcomes["cancelled"]
    stock = db.session.get(Reward, scarce).stock
    assert stock >= 0
    assert stock == 3 - sum(1 for r in pending if r.reward_id == scarce)
    from app.recognition import points

    summary = points.summary_of(db.session.get(Employee, employee_id))
    held = sum(r.points for r in pending)
    assert summary.held == held
    assert summary.balance == start - held >= 0
    written = db.session.scalar(
        sa.select(sa.func.sum(PointsEntry.points)).where(PointsEntry.employee_id == employee_id)
    )
    assert written == summary.balance


def test_concurrent_awards_never_overspend_the_managers_budget(
    app, world, parallel, make_employee, balance, give_budget
):
    manager = world["users"]["manager"]
    colleague = make_employee(world["north"], first_name="Cleo")
    recipients = [world["employee"].id, colleague.id]
    _threads, attempts = load(app)
    budget = 5 * attempts
    give_budget(world["manager_emp"], budget)
    manager_id = manager.id

    def attempt(index: int) -> str:
        from app.auth.models import User

        giver = db.session.get(User, manager_id)
        employee = db.session.get(Employee, recipients[index % 2])
        try:
            award_points(giver, employee, 7, "Thanks for the busy Saturday rush")
            db.session.commit()
        except AwardRefused:
            db.session.rollback()
            return "refused"
        return "awarded"

    outcomes = parallel(attempt)
    expected = budget // 7
    assert outcomes == Counter({"awarded": expected, "refused": attempts - expected})
    db.session.expire_all()
    status = budget_status(world["manager_emp"].id, month_of(clock.today()))
    assert (status.spent, status.left) == (7 * expected, budget - 7 * expected)
    assert status.left >= 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Award)) == expected
    earned = sum(balance(db.session.get(Employee, employee_id)) for employee_id in recipients)
    assert earned == 7 * expected
