"""The money column keeps amounts exact on SQLite and PostgreSQL alike."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.dbtypes import ExactDecimal, Money
from app.extensions import db
from app.money import MoneyError

metadata = sa.MetaData()
ledger = sa.Table(
    "money_probe",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", Money()),
    sa.Column("ratio", ExactDecimal(5, 4)),
)


@pytest.fixture
def probe(app):
    metadata.create_all(db.engine)
    yield ledger
    metadata.drop_all(db.engine)


@pytest.mark.parametrize("text", ["1234567.89", "0.01", "0.10", "0.00", "-12.30", "999999999999.99"])
def test_amounts_read_back_identical(probe, text):
    with db.engine.begin() as conn:
        conn.execute(probe.insert().values(amount=Decimal(text)))
        value = conn.execute(sa.select(probe.c.amount)).scalar_one()
    assert isinstance(value, Decimal)
    assert value == Decimal(text)
    assert str(value) == str(Decimal(text).quantize(Decimal("0.01")))


def test_sqlite_never_stores_a_real(probe):
    with db.engine.begin() as conn:
        conn.execute(probe.insert(), [{"amount": Decimal("1234567.89")}, {"amount": Decimal("0.10")}])
        if conn.dialect.name != "sqlite":
            kinds = conn.execute(sa.text("SELECT pg_typeof(amount)::text FROM money_probe")).scalars().all()
            assert set(kinds) == {"numeric"}
            return
        kinds = conn.execute(sa.text("SELECT typeof(amount) FROM money_probe")).scalars().all()
    assert set(kinds) <= {"integer", "text"}


def test_sum_of_ten_thousand_cents_is_exactly_one_hundred(probe):
    with db.engine.begin() as conn:
        conn.execute(probe.insert(), [{"amount": Decimal("0.01")} for _ in range(10_000)])
        total = conn.execute(sa.select(sa.func.sum(probe.c.amount))).scalar_one()
    assert total == Decimal("100.00")
    assert isinstance(total, Decimal)
    assert str(total) == "100.00"


def test_large_amount_that_a_float_would_damage_survives(probe):
    # 1234567890.12 × 1000 rows: a float sum drifts, integers do not.
    with db.engine.begin() as conn:
        conn.execute(probe.insert(), [{"amount": Decimal("1234567890.12")} for _ in range(1000)])
        total = conn.execute(sa.select(sa.func.sum(probe.c.amount))).scalar_one()
    assert total == Decimal("1234567890120.00")


def test_floats_are_refused(probe):
    with pytest.raises(sa.exc.StatementError) as info, db.engine.begin() as conn:
        conn.execute(probe.insert().values(amount=0.1))
    assert isinstance(info.value.orig, MoneyError)


def test_more_than_two_decimals_is_refused(probe):
    with pytest.raises(sa.exc.StatementError), db.engine.begin() as conn:
        conn.execute(probe.insert().values(amount=Decimal("1.005")))


def test_comparisons_use_the_stored_scale(probe):
    with db.engine.begin() as conn:
        conn.execute(probe.insert(), [{"amount": Decimal("10.00")}, {"amount": Decimal("10.01")}])
        bigger = conn.execute(sa.select(probe.c.amount).where(probe.c.amount > Decimal("10.00"))).scalars().all()
    assert bigger == [Decimal("10.01")]


def test_a_ratio_keeps_four_decimals(probe):
    with db.engine.begin() as conn:
        conn.execute(probe.insert().values(ratio=Decimal("0.8125")))
        value = conn.execute(sa.select(probe.c.ratio)).scalar_one()
    assert value == Decimal("0.8125")
