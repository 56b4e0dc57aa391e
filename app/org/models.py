"""Regions, stores, employees, their store assignments over time, and what each manager manages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import ExactDecimal, Money
from app.extensions import db

JOB_ROLES = ("sales_associate", "store_manager", "regional_manager", "customer_service", "logistics", "other")


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)

    stores: Mapped[list[Store]] = relationship(back_populates="region", order_by="Store.code")

    def __repr__(self) -> str:
        return f"<Region {self.name}>"


class Store(db.Model):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    opened_on: Mapped[date | None]

    region: Mapped[Region] = relationship(back_populates="stores")

    def __repr__(self) -> str:
        return f"<Store {self.code}>"


class Employee(db.Model):
    __tablename__ = "employees"
    __table_args__ = (
        # The upper bound (fte ≤ 1) is checked by the import: SQLite stores fte scaled by 10^4.
        sa.CheckConstraint("fte > 0", name="fte_positive"),
        sa.CheckConstraint("annual_base_salary >= 0", name="salary_not_negative"),
        sa.CheckConstraint("exit_date IS NULL OR exit_date >= hire_date", name="exit_after_hire"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    payroll_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(120))
    last_name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    job_role: Mapped[str] = mapped_column(sa.String(40))
    hire_date: Mapped[date]
    exit_date: Mapped[date | None]
    fte: Mapped[Decimal] = mapped_column(ExactDecimal(5, 4))
    # Annual gross base as actually paid (already reflects part time), so FTE never multiplies it again.
    annual_base_salary: Mapped[Decimal] = mapped_column(Money())
    cost_center: Mapped[str] = mapped_column(sa.String(40), default="")
    language: Mapped[str] = mapped_column(sa.String(2), default="fr")

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="employee", order_by="Assignment.start_date", cascade="all, delete-orphan"
    )
    scopes: Mapped[list[ManagerScope]] = relationship(back_populates="employee", cascade="all, delete-orphan")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def assignment_on(self, day: date) -> Assignment | None:
        """The store assignment in force on `day`, if any."""
        for assignment in self.assignments:
            if assignment.start_date <= day and (assignment.end_date is None or assignment.end_date >= day):
                return assignment
        return None

    @property
    def latest_assignment(self) -> Assignment | None:
        return self.assignments[-1] if self.assignments else None

    def __repr__(self) -> str:
        return f"<Employee {self.number}>"


class Assignment(db.Model):
    """An employee's time in one store, from `start_date` to `end_date` inclusive (open if None)."""

    __tablename__ = "assignments"
    __table_args__ = (sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date | None]

    employee: Mapped[Employee] = relationship(back_populates="assignments")
    store: Mapped[Store] = relationship()


class ManagerScope(db.Model):
    """A store or a region an employee manages (the `manages` column of the employee file)."""

    __tablename__ = "manager_scopes"
    __table_args__ = (
        sa.CheckConstraint("(store_id IS NULL) <> (region_id IS NULL)", name="store_or_region"),
        sa.UniqueConstraint("employee_id", "store_id", "region_id", name="uq_manager_scopes_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id"))
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"))

    employee: Mapped[Employee] = relationship(back_populates="scopes")
    store: Mapped[Store | None] = relationship()
    region: Mapped[Region | None] = relationship()

    @property
    def label(self) -> str:
        return self.store.code if self.store else self.region.name  # type: ignore[union-attr]
