"""The staff roles that ship with the panel, as groups of permissions (editable in admin).

Support: reads customers, orders, payments and tickets; runs the order actions that move no
money. Finance: decides payments and reversals, adjusts balances; reads customers, payments
and orders, and runs the order actions that refund. Catalog: providers, markups, services and
categories. Superusers have every permission. A group already named so is left as it is.
"""

from django.db import migrations

ROLES = {
    "Support": [
        "accounts.view_user", "accounts.view_payment", "accounts.view_ledgerentry",
        "orders.view_order", "orders.change_order", "orders.view_orderaction",
        "orders.view_refill", "orders.view_cancelrequest",
        "support.view_ticket", "support.change_ticket", "support.view_department",
        "support.view_cannedreply",
    ],
    "Finance": [
        "accounts.view_user", "accounts.view_payment", "accounts.view_ledgerentry",
        "accounts.adjust_balance", "accounts.decide_payment",
        "orders.view_order", "orders.refund_order", "orders.view_orderaction",
        "payments.view_reversal",
    ],
    "Catalog": [
        f"catalog.{verb}_{model}"
        for model in ("provider", "service", "category", "markuprule", "serviceoffer")
        for verb in ("add", "change", "delete", "view")
    ] + ["catalog.view_upstreamservice", "catalog.view_pricechange"],
}


def add_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are made after migrating (post_migrate): make them now, for a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, created = Group.objects.get_or_create(name=name)
        if not created:
            continue
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0008_adjust_balance_permission"),
        ("catalog", "0003_provider_api_key_encrypted"),
        ("orders", "0006_refund_order_permission"),
        ("payments", "0002_gateway_rows"),
        ("support", "0002_departments"),
    ]

    operations = [migrations.RunPython(add_roles, remove_roles)]
