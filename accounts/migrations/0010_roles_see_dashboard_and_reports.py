"""The roles see what issue 15 built for staff: every role reads the staff dashboard (its
balances, health and the "needs a hand" list); Catalog also sets the low-balance and
stalled-order thresholds; Finance and Catalog read the profit reports. Only groups that still
have none of these get them, so an admin's own edits of a role are kept."""

from django.db import migrations

GRANTS = {
    "Support": ["staff.view_dashboard", "staff.view_providerwatch", "staff.view_servicewatch"],
    "Finance": [
        "staff.view_dashboard", "staff.view_providerwatch", "staff.view_servicewatch",
        "reports.view_reports",
    ],
    "Catalog": [
        "staff.view_dashboard", "staff.view_providerwatch", "staff.change_providerwatch",
        "staff.add_providerwatch", "staff.view_servicewatch", "staff.change_servicewatch",
        "staff.add_servicewatch", "staff.view_balancereading", "staff.view_providercall",
        "reports.view_reports",
    ],
}  # fmt: skip


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # permissions are made after migrating
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    labels = {"staff", "reports"}
    for name, perms in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None or group.permissions.filter(content_type__app_label__in=labels).exists():
            continue
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_staff_roles"),
        ("staff", "0001_balance_history_health_and_needs"),
        ("reports", "0001_summary_tables"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
