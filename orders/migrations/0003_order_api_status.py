"""orders_order.api_status (PostgreSQL): each order's answer to the API's `status`, kept by the
database as a stored generated column.

Resellers poll the status of their orders, up to 100 a call, many times over each order's life;
an order changes far less often. So the answer is written when the row changes, not on every
read: the bulk status then only joins texts (orders/api.py, docs/benchmarks.md).

The text is `{"charge":"…","start_count":"…","status":"…","remains":"…","currency":` — the
reader appends the panel currency (a setting) and the closing brace. It must say exactly what
orders.api._status_of says: tests/orders/test_api_status_sql.py holds it to that for every
status and for random amounts. A change of the statuses' API labels (orders.models.SHOWN) needs
a migration that redefines the column. SQLite (the embedded demo) has no such column: there the
answer is written in Python.

The trap: PostgreSQL refuses to alter the type of any column this one reads (charge, quantity,
refunded, remains, runs, start_count, status: orders.models.API_STATUS_READS). A migration
changing one drops api_status first and adds it back after, with this expression.
"""

from django.db import migrations

# The API labels of orders.models.SHOWN as of this migration.
LABELS = {
    "pending": "Pending",
    "sending": "Pending",
    "held": "Pending",
    "unknown": "In progress",
    "in_progress": "In progress",
    "completed": "Completed",
    "partial": "Partial",
    "canceled": "Canceled",
    "failed": "Canceled",
}
STATUS = "CASE status " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LABELS.items())
STATUS += " ELSE 'Pending' END"
# What the customer paid net of refunds (never negative), as orders.api._money writes it: plain
# digits, trailing zeros dropped beyond two decimals.
NET = "trim_scale(charge - refunded)"
CHARGE = f"CASE WHEN scale({NET}) >= 2 THEN {NET}::text ELSE round({NET}, 2)::text END"
REMAINS = "COALESCE(remains, CASE status WHEN 'completed' THEN 0 ELSE quantity * COALESCE(runs, 1) END)"
ANSWER = (
    f"""'{{"charge":"' || {CHARGE} || '","start_count":"' || COALESCE(start_count, 0)::text"""
    f""" || '","status":"' || {STATUS} || '","remains":"' || {REMAINS}::text"""
    """ || '","currency":'"""
)


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE orders_order ADD COLUMN api_status text "
            f"GENERATED ALWAYS AS ({ANSWER}) STORED"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE orders_order DROP COLUMN api_status")


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_refills_cancels_audit_and_forwarding")]

    operations = [migrations.RunPython(add, drop)]
