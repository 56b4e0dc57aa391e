"""Column types that keep decimals exact on SQLite (scaled integers) and PostgreSQL (NUMERIC)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.types import TypeDecorator

from app.money import MoneyError, to_decimal


class ExactDecimal(TypeDecorator[Decimal]):
    """A fixed-scale decimal: NUMERIC(p, s) on PostgreSQL, an integer of 10^-s units on SQLite.

    SQLite keeps NUMERIC as a binary float (1234567890123456.78 reads back …56.75), so it never
    sees a decimal here: it stores and sums integers, and SUM() over the column stays exact.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 2) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def _exact(self, value: Any) -> Decimal:
        if isinstance(value, float):
            raise MoneyError(f"float {value!r} refused for an exact decimal column")
        number = to_decimal(value)
        if number != number.quantize(self._quantum):
            raise MoneyError(f"{number} has more than {self.scale} decimals")
        return number.quantize(self._quantum)

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        number = self._exact(value)
        if dialect.name == "sqlite":
            return int(number.scaleb(self.scale))
        return number

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, float):  # only reachable through raw SQL arithmetic; never through the ORM
                raise MoneyError("float read back from an exact decimal column")
            return Decimal(int(value)).scaleb(-self.scale).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self


class Money(ExactDecimal):
    """An amount of money: two decimals, up to 12 digits before the point."""

    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 2) -> None:
        # Alembic renders the arguments back into migrations; money is always (14, 2).
        super().__init__(14, 2)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always handed back time-zone aware."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        return dialect.type_descriptor(DateTime(timezone=dialect.name != "sqlite"))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: give a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, in UTC, time-zone aware (a callable default, never an import-time value)."""
    return datetime.now(UTC)
