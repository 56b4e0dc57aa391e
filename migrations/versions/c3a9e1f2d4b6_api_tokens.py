"""api tokens: one per integration, stored as the SHA-256 of its secret, with scopes, expiry and revocation

Revision ID: c3a9e1f2d4b6
Revises: 3d8c60c4afa8
Create Date: 2026-12-04 18:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

import app.dbtypes

# revision identifiers, used by Alembic.
revision = "c3a9e1f2d4b6"
down_revision = "3d8c60c4afa8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", app.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", app.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", app.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_api_tokens_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_tokens_prefix")),
    )


def downgrade():
    op.drop_table("api_tokens")
