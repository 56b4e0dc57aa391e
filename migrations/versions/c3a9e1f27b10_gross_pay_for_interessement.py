"""gross pay per employee and period, for intéressement

Intéressement shares a sub-pool in proportion to salary and caps the whole distribution at 20 % of the
beneficiaries' gross pay for the period: both need the pay payroll actually reported, imported per period.

Revision ID: c3a9e1f27b10
Revises: c3d4e5f6a7b8
Create Date: 2026-12-04 18:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import app.dbtypes

# revision identifiers, used by Alembic.
revision = "c3a9e1f27b10"
down_revision = "c3d4e5f6a7b8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gross_pay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("amount", app.dbtypes.Money(), nullable=False),
        sa.Column("updated_at", app.dbtypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_gross_pay_amount")),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], name=op.f("fk_gross_pay_employee_id_employees")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gross_pay")),
        sa.UniqueConstraint("employee_id", "period", name="uq_gross_pay_employee_period"),
    )
    with op.batch_alter_table("gross_pay", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gross_pay_employee_id"), ["employee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gross_pay_period"), ["period"], unique=False)


def downgrade():
    with op.batch_alter_table("gross_pay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gross_pay_period"))
        batch_op.drop_index(batch_op.f("ix_gross_pay_employee_id"))
    op.drop_table("gross_pay")
