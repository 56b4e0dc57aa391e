"""survey tables get their foreign keys back, with ON DELETE rules

Responses name an existing store (RESTRICT), employee (SET NULL) and import batch (RESTRICT); contacts and
follow-up cases go with their response (CASCADE); a recognition given for a response loses the link when the
response goes (SET NULL). Rows that already break a rule are first treated as the rule would have treated them
(orphan contacts and cases deleted, orphan links cleared); a response whose store or batch is gone stops the
upgrade with a message, as nothing sensible can be made of it.

Revision ID: 3c8e4f1a7b20
Revises: b7c1d2e3f4a5
Create Date: 2026-12-04 14:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "3c8e4f1a7b20"
down_revision = "b7c1d2e3f4a5"
branch_labels = None
depends_on = None

# (table, column, referred table, ON DELETE)
KEYS = (
    ("survey_responses", "store_id", "stores", "RESTRICT"),
    ("survey_responses", "employee_id", "employees", "SET NULL"),
    ("survey_responses", "batch_id", "import_batches", "RESTRICT"),
    ("response_contacts", "response_id", "survey_responses", "CASCADE"),
    ("followup_cases", "response_id", "survey_responses", "CASCADE"),
    ("followup_cases", "store_id", "stores", "RESTRICT"),
)
AWARD_KEY = "fk_recognition_awards_response_id_survey_responses"


def _orphans(table, column, referred):
    return f"{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {referred} r WHERE r.id = {table}.{column})"


def upgrade():
    bind = op.get_bind()
    for table, column, referred, rule in KEYS:
        if rule == "RESTRICT":
            count = bind.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE {_orphans(table, column, referred)}")
            if count := count.scalar():
                raise RuntimeError(f"{count} row(s) of {table} name a {column} missing from {referred}: fix them first")
    for table, column, referred, rule in (*KEYS, ("recognition_awards", "response_id", "survey_responses", "SET NULL")):
        if rule == "CASCADE":
            op.execute(f"DELETE FROM {table} WHERE {_orphans(table, column, referred)}")
        elif rule == "SET NULL":
            op.execute(f"UPDATE {table} SET {column} = NULL WHERE {_orphans(table, column, referred)}")

    for table in ("survey_responses", "response_contacts", "followup_cases"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _table, column, referred, rule in (k for k in KEYS if k[0] == table):
                batch_op.create_foreign_key(
                    batch_op.f(f"fk_{table}_{column}_{referred}"), referred, [column], ["id"], ondelete=rule
                )
    with op.batch_alter_table("recognition_awards", schema=None) as batch_op:
        batch_op.drop_constraint(AWARD_KEY, type_="foreignkey")
        batch_op.create_foreign_key(AWARD_KEY, "survey_responses", ["response_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("recognition_awards", schema=None) as batch_op:
        batch_op.drop_constraint(AWARD_KEY, type_="foreignkey")
        batch_op.create_foreign_key(AWARD_KEY, "survey_responses", ["response_id"], ["id"])
    for table in ("followup_cases", "response_contacts", "survey_responses"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _table, column, referred, _rule in (k for k in KEYS if k[0] == table):
                batch_op.drop_constraint(batch_op.f(f"fk_{table}_{column}_{referred}"), type_="foreignkey")
