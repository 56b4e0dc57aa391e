"""automatic points rules and challenges

HR's rules that pay points when an event happens (a promoter names someone, a case closed within 48 h, …) and team
challenges on a KPI. A points entry names the rule and event, or the challenge, that paid it; unique keys make the
same event (or the same challenge) pay an employee once, whatever retries or concurrent requests do.

Revision ID: 3d8c60c4afa8
Revises: d81f0c2b9e47
Create Date: 2026-12-04 18:06:18.216190

"""

import sqlalchemy as sa
from alembic import op

import app.dbtypes

# revision identifiers, used by Alembic.
revision = "3d8c60c4afa8"
down_revision = "d81f0c2b9e47"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recognition_point_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("badge_id", sa.Integer(), nullable=True),
        sa.Column("cap_per_month", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("kpi", sa.String(length=20), nullable=True),
        sa.Column("threshold", app.dbtypes.ExactDecimal(precision=8, scale=2), nullable=True),
        sa.Column("min_answers", sa.Integer(), nullable=False),
        sa.Column("created_at", app.dbtypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "event IN ('promoter_named', 'case_closed_fast', 'store_kpi', 'objectives_acknowledged', "
            "'work_anniversary', 'pulse_answered')",
            name=op.f("ck_recognition_point_rules_event"),
        ),
        sa.CheckConstraint(
            "kpi IS NULL OR kpi IN ('nps', 'csat', 'ces', 'followup')", name=op.f("ck_recognition_point_rules_kpi")
        ),
        sa.CheckConstraint(
            "cap_per_month IS NULL OR cap_per_month > 0", name=op.f("ck_recognition_point_rules_cap_positive")
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_recognition_point_rules_points_positive")),
        sa.ForeignKeyConstraint(
            ["badge_id"], ["recognition_badges.id"], name=op.f("fk_recognition_point_rules_badge_id_recognition_badges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_point_rules")),
    )
    op.create_table(
        "recognition_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("kpi", sa.String(length=20), nullable=False),
        sa.Column("goal", app.dbtypes.ExactDecimal(precision=8, scale=2), nullable=False),
        sa.Column("min_answers", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("reward_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("result", app.dbtypes.ExactDecimal(precision=8, scale=2), nullable=True),
        sa.Column("result_n", sa.Integer(), nullable=True),
        sa.Column("result_moe", app.dbtypes.ExactDecimal(precision=8, scale=2), nullable=True),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", app.dbtypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kpi IN ('nps', 'csat', 'ces', 'followup')", name=op.f("ck_recognition_challenges_kpi")),
        sa.CheckConstraint("status IN ('running', 'met', 'missed')", name=op.f("ck_recognition_challenges_status")),
        sa.CheckConstraint(
            "(store_id IS NULL) <> (region_id IS NULL)", name=op.f("ck_recognition_challenges_one_team")
        ),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_recognition_challenges_dates")),
        sa.CheckConstraint("min_answers >= 0", name=op.f("ck_recognition_challenges_min_answers")),
        sa.CheckConstraint(
            "points IS NOT NULL OR reward_id IS NOT NULL", name=op.f("ck_recognition_challenges_some_reward")
        ),
        sa.CheckConstraint("points IS NULL OR points > 0", name=op.f("ck_recognition_challenges_points_positive")),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_recognition_challenges_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"],
            ["recognition_rewards.id"],
            name=op.f("fk_recognition_challenges_reward_id_recognition_rewards"),
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_recognition_challenges_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_challenges")),
    )
    with op.batch_alter_table("recognition_challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recognition_challenges_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recognition_challenges_store_id"), ["store_id"], unique=False)

    with op.batch_alter_table("recognition_points_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("event", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("challenge_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_recognition_points_entries_challenge", ["challenge_id", "employee_id"])
        batch_op.create_unique_constraint(
            "uq_recognition_points_entries_rule_event", ["rule_id", "event", "employee_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_recognition_points_entries_challenge_id_recognition_challenges"),
            "recognition_challenges",
            ["challenge_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_recognition_points_entries_rule_id_recognition_point_rules"),
            "recognition_point_rules",
            ["rule_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("recognition_points_entries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_recognition_points_entries_rule_id_recognition_point_rules"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_recognition_points_entries_challenge_id_recognition_challenges"), type_="foreignkey"
        )
        batch_op.drop_constraint("uq_recognition_points_entries_rule_event", type_="unique")
        batch_op.drop_constraint("uq_recognition_points_entries_challenge", type_="unique")
        batch_op.drop_column("challenge_id")
        batch_op.drop_column("event")
        batch_op.drop_column("rule_id")

    with op.batch_alter_table("recognition_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recognition_challenges_store_id"))
        batch_op.drop_index(batch_op.f("ix_recognition_challenges_region_id"))

    op.drop_table("recognition_challenges")
    op.drop_table("recognition_point_rules")
