"""survey responses without per-row foreign keys

A bulk import writes a million survey responses at a time. PostgreSQL checked each of their foreign keys, and
those of their contacts and cases (response and store), with one locking query per row: 9 s of a 15 s load, 2 s
more for the contacts. It also kept an index on batch_id that only undo used. Now the importer checks stores and
employees itself, batches find their rows through an id range, the employee index covers only attributed
answers, a contact is keyed by its response, and on PostgreSQL the source and external id are compared byte by
byte (COLLATE "C", as SQLite does), which made each insert into the unique key a quarter cheaper.

Revision ID: dfbebd4e689d
Revises: f4f905851cdc
Create Date: 2026-11-23 15:57:00.666968

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "dfbebd4e689d"
down_revision = "f4f905851cdc"
branch_labels = None
depends_on = None

ATTRIBUTED = sa.text("employee_id IS NOT NULL")


def upgrade():
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_response_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_response_id", sa.Integer(), nullable=True))
    # Existing batches get their range while the batch_id index is still there to find it.
    op.execute(
        "UPDATE import_batches SET "
        "first_response_id = (SELECT min(id) FROM survey_responses WHERE batch_id = import_batches.id), "
        "last_response_id = (SELECT max(id) FROM survey_responses WHERE batch_id = import_batches.id)"
    )

    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_responses_batch_id"))
        batch_op.drop_index(batch_op.f("ix_survey_responses_employee_id"))
        batch_op.drop_constraint(batch_op.f("fk_survey_responses_employee_id_employees"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_survey_responses_store_id_stores"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_survey_responses_batch_id_import_batches"), type_="foreignkey")
    for table in ("response_contacts", "followup_cases"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_response_id_survey_responses"), type_="foreignkey")
            if table == "followup_cases":
                batch_op.drop_constraint(batch_op.f("fk_followup_cases_store_id_stores"), type_="foreignkey")
    # A contact is keyed by its response: one index instead of two.
    with op.batch_alter_table("response_contacts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_response_contacts_response_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("pk_response_contacts"), type_="primary")
        batch_op.drop_column("id")
        batch_op.create_primary_key(batch_op.f("pk_response_contacts"), ["response_id"])
    if op.get_bind().dialect.name == "postgresql":  # identifiers compared byte by byte, as on SQLite
        op.execute(
            'ALTER TABLE survey_responses ALTER COLUMN source TYPE varchar(80) COLLATE "C", '
            'ALTER COLUMN external_id TYPE varchar(120) COLLATE "C"'
        )
    op.create_index(
        "ix_survey_responses_employee_id",
        "survey_responses",
        ["employee_id"],
        postgresql_where=ATTRIBUTED,
        sqlite_where=ATTRIBUTED,
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            'ALTER TABLE survey_responses ALTER COLUMN source TYPE varchar(80) COLLATE "default", '
            'ALTER COLUMN external_id TYPE varchar(120) COLLATE "default"'
        )
    with op.batch_alter_table("response_contacts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_response_contacts"), type_="primary")
        batch_op.add_column(sa.Column("id", sa.Integer(), nullable=True))
    op.execute("UPDATE response_contacts SET id = response_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE SEQUENCE response_contacts_id_seq OWNED BY response_contacts.id; "
            "ALTER TABLE response_contacts ALTER COLUMN id SET DEFAULT nextval('response_contacts_id_seq'); "
            "SELECT setval('response_contacts_id_seq', coalesce(max(id), 0) + 1, false) FROM response_contacts"
        )
    with op.batch_alter_table("response_contacts", schema=None) as batch_op:
        batch_op.alter_column("id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_primary_key(batch_op.f("pk_response_contacts"), ["id"])
        batch_op.create_unique_constraint(batch_op.f("uq_response_contacts_response_id"), ["response_id"])
    for table in ("response_contacts", "followup_cases"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_response_id_survey_responses"),
                "survey_responses",
                ["response_id"],
                ["id"],
                ondelete="CASCADE",
            )
            if table == "followup_cases":
                batch_op.create_foreign_key(batch_op.f("fk_followup_cases_store_id_stores"), "stores", ["store_id"], ["id"])
    op.drop_index("ix_survey_responses_employee_id", table_name="survey_responses")
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_survey_responses_batch_id_import_batches"), "import_batches", ["batch_id"], ["id"]
        )
        batch_op.create_foreign_key(batch_op.f("fk_survey_responses_store_id_stores"), "stores", ["store_id"], ["id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_survey_responses_employee_id_employees"), "employees", ["employee_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_survey_responses_employee_id"), ["employee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_responses_batch_id"), ["batch_id"], unique=False)

    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_column("last_response_id")
        batch_op.drop_column("first_response_id")
