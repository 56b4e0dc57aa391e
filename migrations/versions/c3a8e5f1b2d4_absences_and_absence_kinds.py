"""absences and absence kinds

Presence in every scheme is the days assigned less the absences whose kind does not count as presence. The kinds
are the company's, seeded with the defaults: maternity, paternity and adoption leave, work accidents and
occupational illness count (French law requires it for intéressement); sick and unpaid leave do not.

Revision ID: c3a8e5f1b2d4
Revises: fdea61384679
Create Date: 2026-12-04 17:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

from app.dbtypes import UTCDateTime

# revision identifiers, used by Alembic.
revision = "c3a8e5f1b2d4"
down_revision = "fdea61384679"
branch_labels = None
depends_on = None

# Frozen here: the application's list (app.absences.services.DEFAULT_KINDS) may change later.
DEFAULT_KINDS = [
    ("maternity_leave", "maternity leave", "congé de maternité", True),
    ("paternity_leave", "paternity leave", "congé de paternité", True),
    ("adoption_leave", "adoption leave", "congé d'adoption", True),
    ("work_accident", "work accident", "accident du travail", True),
    ("occupational_illness", "occupational illness", "maladie professionnelle", True),
    ("sick_leave", "sick leave", "arrêt maladie", False),
    ("unpaid_leave", "unpaid leave", "congé sans solde", False),
]


def upgrade():
    kinds = op.create_table(
        "absence_kinds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label_en", sa.String(length=120), nullable=False),
        sa.Column("label_fr", sa.String(length=120), nullable=False),
        sa.Column("counts_as_presence", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence_kinds")),
        sa.UniqueConstraint("code", name=op.f("uq_absence_kinds_code")),
    )
    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("kind_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_absences_absence_end_after_start")),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], name=op.f("fk_absences_employee_id_employees")),
        sa.ForeignKeyConstraint(["kind_id"], ["absence_kinds.id"], name=op.f("fk_absences_kind_id_absence_kinds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
        sa.UniqueConstraint("employee_id", "kind_id", "start_date", "end_date", name="uq_absences_stretch"),
    )
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_absences_employee_id"), ["employee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_absences_kind_id"), ["kind_id"], unique=False)
    op.bulk_insert(
        kinds,
        [
            {"code": code, "label_en": en, "label_fr": fr, "counts_as_presence": counts}
            for code, en, fr, counts in DEFAULT_KINDS
        ],
    )


def downgrade():
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_absences_kind_id"))
        batch_op.drop_index(batch_op.f("ix_absences_employee_id"))
    op.drop_table("absences")
    op.drop_table("absence_kinds")
