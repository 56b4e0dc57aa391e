"""corrective and advance runs, run history

A period already paid can be run again only as a corrective run, with HR's written reason: it names the run it
corrects and the paid runs its difference was computed against, and its computation writes `already_paid`
adjustments (on the pay code the earlier run used) that take back what was paid. A run approved before its period
ended is marked as an advance. Each step of a run (created, computed, submitted, rejected, approved, exported) is
kept with its comment in `run_events`; runs that exist already get their steps from their own columns.

Revision ID: b7c41e2a9d10
Revises: dfbebd4e689d
Create Date: 2026-12-04 14:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7c41e2a9d10"
down_revision = "b7c3e91a5d20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bonus_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrects_run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("corrective_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("corrective_basis", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("advance", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_bonus_runs_corrects_run_id_bonus_runs"), "bonus_runs", ["corrects_run_id"], ["id"]
        )
    with op.batch_alter_table("run_adjustments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="manual", nullable=False))
        batch_op.add_column(sa.Column("pay_code", sa.String(length=40), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_run_adjustments_kind"), sa.text("kind IN ('manual', 'already_paid')")
        )
    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["bonus_runs.id"], name=op.f("fk_run_events_run_id_bonus_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_events")),
    )
    with op.batch_alter_table("run_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_events_run_id"), ["run_id"], unique=False)
    # The history of existing runs, from what their columns still say, in the order it happened. (Who rejected a
    # run, and when, was never kept: its last comment stays on the run.)
    first_exporter = "(SELECT e.exported_by FROM payroll_exports e WHERE e.run_id = r.id ORDER BY e.id LIMIT 1)"
    steps = " UNION ALL ".join(
        f"SELECT r.id AS run_id, '{action}' AS action, COALESCE({by}, '') AS by_, {at} AS at_ "
        f"FROM bonus_runs r WHERE {at} IS NOT NULL"
        for action, by, at in (
            ("create", "r.created_by", "r.created_at"),
            ("submit", "r.submitted_by", "r.submitted_at"),
            ("approve", "r.approved_by", "r.approved_at"),
            ("export", first_exporter, "r.exported_at"),
        )
    )
    op.execute(
        f"INSERT INTO run_events (run_id, action, actor, at) SELECT run_id, action, by_, at_ FROM ({steps}) steps "
        "ORDER BY run_id, at_"
    )


def downgrade():
    with op.batch_alter_table("run_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_events_run_id"))
    op.drop_table("run_events")
    with op.batch_alter_table("run_adjustments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_run_adjustments_kind"), type_="check")
        batch_op.drop_column("pay_code")
        batch_op.drop_column("kind")
    with op.batch_alter_table("bonus_runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_bonus_runs_corrects_run_id_bonus_runs"), type_="foreignkey")
        batch_op.drop_column("advance")
        batch_op.drop_column("corrective_basis")
        batch_op.drop_column("corrective_reason")
        batch_op.drop_column("corrects_run_id")
