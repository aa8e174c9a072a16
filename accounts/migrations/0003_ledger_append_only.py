"""Ledger rows are append-only in the database itself: UPDATE and DELETE raise."""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION accounts_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_ledger_no_update BEFORE UPDATE OR DELETE ON accounts_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION accounts_ledger_append_only();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS accounts_ledger_no_update ON accounts_ledgerentry;
DROP FUNCTION IF EXISTS accounts_ledger_append_only();
"""
SQLITE = [
    """CREATE TRIGGER accounts_ledger_no_update BEFORE UPDATE ON accounts_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER accounts_ledger_no_delete BEFORE DELETE ON accounts_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only (DELETE refused)'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS accounts_ledger_no_update",
    "DROP TRIGGER IF EXISTS accounts_ledger_no_delete",
]


def forwards(apps, schema_editor):
    _run(schema_editor, POSTGRES, SQLITE)


def backwards(apps, schema_editor):
    _run(schema_editor, POSTGRES_REVERSE, SQLITE_REVERSE)


def _run(schema_editor, postgres, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"no append-only trigger for {vendor}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_ledgerentry_payment_alter_user_options_user_balance_and_more")]
    operations = [migrations.RunPython(forwards, backwards)]
