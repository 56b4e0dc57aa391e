"""Serialise the writers of a ledger: lock the rows a check depends on before summing and inserting.

A naive "read the balance, then insert" lets concurrent requests spend the same points twice (PITFALLS.md).
Every award, redemption step, budget change and expiry run therefore starts by locking the employees' rows it
touches, in id order so that two writers never wait on each other in a circle: `SELECT … FOR NO KEY UPDATE` on
PostgreSQL; on SQLite a no-op UPDATE, which takes the database's write lock for the rest of the transaction
(SQLite has no row locks, and pysqlite only opens a transaction on the first write). The sums read after the
lock are then current, and stay so until the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from app.extensions import db
from app.org.models import Employee
from app.recognition.models import Reward


def lock_employees(employee_ids: Iterable[int]) -> None:
    """Lock the employees' rows until the transaction ends (a manager's row also guards their budgets)."""
    ids = sorted({int(i) for i in employee_ids})
    if not ids:
        return
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            sa.update(Employee).where(Employee.id.in_(ids)).values(id=Employee.id),
            execution_options={"synchronize_session": False},
        )
        return
    # FOR NO KEY UPDATE: writers still queue on each other, but not behind the key-share lock a foreign key takes
    # when the same transaction (or another) inserts a row naming the employee, such as a survey response. With
    # FOR UPDATE two webhook calls that each inserted a response naming one employee waited on each other forever.
    locked = sa.select(Employee.id).where(Employee.id.in_(ids)).order_by(Employee.id).with_for_update(key_share=True)
    db.session.execute(locked)


# An arbitrary constant naming the company's automatic-points budget among PostgreSQL advisory locks.
COMPANY_BUDGET_LOCK = 0x5052_494D_4F01


def lock_company_budget() -> None:
    """Serialise the payers of the company's automatic-points budget until the transaction ends.

    Taken before any employee's row, so that two payers never wait on each other in a circle. PostgreSQL: a
    transaction-level advisory lock (there is no budget row to lock); SQLite: the database's write lock.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            sa.update(Employee).where(sa.false()).values(id=Employee.id),
            execution_options={"synchronize_session": False},
        )
        return
    db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(COMPANY_BUDGET_LOCK)))


def take_from_stock(reward: Reward) -> bool:
    """Take one item of a reward's stock; False when none is left (an unlimited reward always has one)."""
    taken = db.session.execute(
        sa.update(Reward)
        .where(Reward.id == reward.id, Reward.stock.is_not(None), Reward.stock > 0)
        .values(stock=Reward.stock - 1),
        execution_options={"synchronize_session": False},
    ).rowcount
    unlimited = False
    if not taken:
        unlimited = db.session.scalar(sa.select(Reward.stock.is_(None)).where(Reward.id == reward.id)) or False
    db.session.expire(reward, ["stock"])
    return bool(taken) or bool(unlimited)


def put_back_in_stock(reward: Reward) -> None:
    """Return one item to a limited stock (a rejected or cancelled redemption)."""
    db.session.execute(
        sa.update(Reward).where(Reward.id == reward.id, Reward.stock.is_not(None)).values(stock=Reward.stock + 1),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(reward, ["stock"])
