"""login limits per client: failed logins remember the client address, rate-limit counters in the database

A stranger's failed logins no longer lock an account's owner out: the refusal counts failures per client address
and account, so `login_attempts` records the address. The per-client login limit (Flask-Limiter) keeps its
fixed-window counters in `rate_limits` so that every web process shares them.

Revision ID: b7c3e91a5d20
Revises: dfbebd4e689d
Create Date: 2026-11-25 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7c3e91a5d20"
down_revision = "dfbebd4e689d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client", sa.String(length=64), nullable=True))

    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
    )
    with op.batch_alter_table("rate_limits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_limits_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("rate_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limits_expires_at"))
    op.drop_table("rate_limits")

    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_column("client")
