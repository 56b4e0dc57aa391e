"""import column mappings: another tool's export read into the survey and employee imports

Revision ID: b7d2e4f6a8c1
Revises: 4324dcfea6fe
Create Date: 2026-12-04 21:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

import app.dbtypes

# revision identifiers, used by Alembic.
revision = "b7d2e4f6a8c1"
down_revision = "4324dcfea6fe"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", app.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mappings")),
        sa.UniqueConstraint("name", name=op.f("uq_import_mappings_name")),
    )
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mapping_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_pending_uploads_mapping_id_import_mappings"),
            "import_mappings",
            ["mapping_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pending_uploads_mapping_id_import_mappings"), type_="foreignkey")
        batch_op.drop_column("mapping_id")
    op.drop_table("import_mappings")
