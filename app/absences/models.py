"""Absence kinds (configurable per company) and employees' absences."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.org.models import Employee


class AbsenceKind(db.Model):
    """A kind of absence, named in English and French, and whether its days count as presence."""

    __tablename__ = "absence_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label_en: Mapped[str] = mapped_column(sa.String(120))
    label_fr: Mapped[str] = mapped_column(sa.String(120))
    counts_as_presence: Mapped[bool] = mapped_column(default=False)

    def label(self, lang: str) -> str:
        return self.label_fr if lang == "fr" else self.label_en

    def __repr__(self) -> str:
        return f"<AbsenceKind {self.code}>"


class Absence(db.Model):
    """Days (end inclusive) an employee was away, of one kind; overlapping absences are counted once."""

    __tablename__ = "absences"
    __table_args__ = (
        sa.UniqueConstraint("employee_id", "kind_id", "start_date", "end_date", name="uq_absences_stretch"),
        sa.CheckConstraint("end_date >= start_date", name="absence_end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"), index=True)
    kind_id: Mapped[int] = mapped_column(sa.ForeignKey("absence_kinds.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    employee: Mapped[Employee] = relationship()
    kind: Mapped[AbsenceKind] = relationship()

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1
