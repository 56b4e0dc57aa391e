"""Facts read once per database transaction: what every part of a page asks again (the user's stores, a setting
that is not saved) is looked up once, and forgotten at any flush, commit, rollback or write statement run through the
session, so that a write is always seen."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session

from app.extensions import db

T = TypeVar("T")
KEY = "primo_memo"


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, once per transaction of the current session for the same `key`.

    While the session holds changes not yet flushed, nothing is remembered: a read after `add()` must see the row,
    and the query in `compute()` flushes it (which forgets everything remembered so far)."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.info.pop(KEY, None)
        return compute()
    store = session.info.setdefault(KEY, {})
    if key not in store:
        store[key] = compute()
    return store[key]


@sa.event.listens_for(Session, "after_flush")
@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
@sa.event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_args: object) -> None:
    session.info.pop(KEY, None)


@sa.event.listens_for(Session, "do_orm_execute")
def _forget_on_write(state: ORMExecuteState) -> None:
    # An UPDATE, DELETE or INSERT statement run through the session (a case's guarded status change, a bulk
    # insert) writes without a flush: what was remembered before it may be stale. So may any statement that is not
    # a SELECT, such as raw SQL text, which SQLAlchemy cannot tell from a read.
    if not state.is_select:
        state.session.info.pop(KEY, None)
