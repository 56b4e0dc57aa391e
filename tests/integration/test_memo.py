"""The per-transaction memo (app.core.memo): a read is remembered until anything could have changed it."""

from __future__ import annotations

import sqlalchemy as sa

from app.core import memo
from app.extensions import db
from app.org.models import Region


def _names() -> list[str]:
    return sorted(db.session.scalars(sa.select(Region.name)))


def test_a_remembered_read_is_answered_again_without_a_query(app):
    db.session.add(Region(name="West"))
    db.session.commit()
    assert memo.remembered("regions", _names) == ["West"]
    assert memo.remembered("regions", lambda: ["not read again"]) == ["West"]


def test_a_write_statement_run_through_the_session_forgets_what_was_remembered(app):
    db.session.add(Region(name="West"))
    db.session.commit()
    assert memo.remembered("regions", _names) == ["West"]
    db.session.execute(sa.update(Region).values(name="Ouest"))  # no flush: an UPDATE statement
    assert memo.remembered("regions", _names) == ["Ouest"]
    db.session.execute(sa.insert(Region).values(name="Nord"))
    assert memo.remembered("regions", _names) == ["Nord", "Ouest"]
    db.session.execute(sa.delete(Region).where(Region.name == "Nord"))
    assert memo.remembered("regions", _names) == ["Ouest"]
    db.session.execute(sa.text("UPDATE regions SET name = 'Est'"))  # raw SQL: not known to be a read
    assert memo.remembered("regions", _names) == ["Est"]


def test_a_row_added_but_not_flushed_is_seen_and_a_rollback_forgets(app):
    db.session.add(Region(name="West"))
    db.session.commit()
    assert memo.remembered("regions", _names) == ["West"]
    db.session.add(Region(name="Sud"))
    assert memo.remembered("regions", _names) == ["Sud", "West"]
    db.session.rollback()
    assert memo.remembered("regions", _names) == ["West"]
