"""The two support desks of the seed page: payments, and orders & account."""

from django.db import migrations

DEPARTMENTS = [
    ("Payments", "Payment related queries only: top-ups, refunds to your balance.", 0, False),
    ("Orders & account", "Help with orders, refills, cancels and your account.", 1, True),
]


def create(apps, schema_editor):
    Department = apps.get_model("support", "Department")
    for name, description, position, handles_orders in DEPARTMENTS:
        Department.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "position": position,
                "handles_orders": handles_orders,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
