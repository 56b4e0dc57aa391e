"""render jobs name the stores they cover

A bulk rendering asked with no store covered the whole run, whoever asked; a manager's now covers their own
stores, which may be several, so a job keeps the list of stores it renders (NULL: the whole run, for HR and
payroll, or the storing of an approved run's statements). Jobs made before keep the one store they named.

Revision ID: b7c1d2e3f4a5
Revises: dfbebd4e689d
Create Date: 2026-12-04 14:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7c1d2e3f4a5"
down_revision = "b7c41e2a9d10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("render_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("store_codes", sa.JSON(), nullable=True))
    jobs = sa.table(
        "render_jobs", sa.column("id", sa.Integer), sa.column("store_code", sa.String), sa.column("store_codes", sa.JSON)
    )
    connection = op.get_bind()
    for job_id, code in connection.execute(sa.select(jobs.c.id, jobs.c.store_code).where(jobs.c.store_code.is_not(None))):
        connection.execute(jobs.update().where(jobs.c.id == job_id).values(store_codes=[code]))


def downgrade():
    with op.batch_alter_table("render_jobs", schema=None) as batch_op:
        batch_op.drop_column("store_codes")
