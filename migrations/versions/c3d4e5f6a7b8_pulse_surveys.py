"""eNPS pulse surveys: surveys, questions, stores with their codes, anonymous answers, who has answered

Answers carry no employee id, no time and a random id, so that nothing in the database leads from an answer to a
person; the fact of having answered lives in its own table.

Revision ID: c3d4e5f6a7b8
Revises: 3c8e4f1a7b20
Create Date: 2026-12-04 17:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

from app.dbtypes import UTCDateTime

# revision identifiers, used by Alembic.
revision = "c3d4e5f6a7b8"
down_revision = "3c8e4f1a7b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pulse_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("whole_company", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_pulse_surveys_known_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_surveys")),
    )
    op.create_table(
        "pulse_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text_fr", sa.String(length=500), nullable=False),
        sa.Column("text_en", sa.String(length=500), nullable=False),
        sa.CheckConstraint("position >= 0 AND position <= 5", name=op.f("ck_pulse_questions_position_range")),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["pulse_surveys.id"],
            name=op.f("fk_pulse_questions_survey_id_pulse_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_questions")),
        sa.UniqueConstraint("survey_id", "position", name="uq_pulse_questions_position"),
    )
    op.create_index(op.f("ix_pulse_questions_survey_id"), "pulse_questions", ["survey_id"], unique=False)
    op.create_table(
        "pulse_stores",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_pulse_stores_store_id_stores")),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["pulse_surveys.id"],
            name=op.f("fk_pulse_stores_survey_id_pulse_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", "store_id", name=op.f("pk_pulse_stores")),
        sa.UniqueConstraint("code", name=op.f("uq_pulse_stores_code")),
    )
    op.create_table(
        "pulse_answers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("enps", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("enps >= 0 AND enps <= 10", name=op.f("ck_pulse_answers_enps_range")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_pulse_answers_store_id_stores")),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["pulse_surveys.id"],
            name=op.f("fk_pulse_answers_survey_id_pulse_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_answers")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_pulse_answers_key_hash")),
    )
    op.create_index(op.f("ix_pulse_answers_survey_id"), "pulse_answers", ["survey_id"], unique=False)
    op.create_table(
        "pulse_participations",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_pulse_participations_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["pulse_surveys.id"],
            name=op.f("fk_pulse_participations_survey_id_pulse_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", "employee_id", name=op.f("pk_pulse_participations")),
    )


def downgrade():
    op.drop_table("pulse_participations")
    op.drop_index(op.f("ix_pulse_answers_survey_id"), table_name="pulse_answers")
    op.drop_table("pulse_answers")
    op.drop_table("pulse_stores")
    op.drop_index(op.f("ix_pulse_questions_survey_id"), table_name="pulse_questions")
    op.drop_table("pulse_questions")
    op.drop_table("pulse_surveys")
