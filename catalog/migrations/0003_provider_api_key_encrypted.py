"""Provider API keys encrypted at rest (panel/encryption.py): the column becomes text holding a
Fernet token, and every key stored in clear until now is encrypted in place."""

from django.db import migrations

import panel.encryption


def _rewrite(apps, schema_editor, transform):
    # Raw SQL: the historical model's field would try to decrypt the clear keys it reads.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, api_key FROM catalog_provider")
        for pk, value in cursor.fetchall():
            new = transform(value)
            if new != value:
                cursor.execute("UPDATE catalog_provider SET api_key = %s WHERE id = %s", [new, pk])


def encrypt_keys(apps, schema_editor):
    _rewrite(
        apps,
        schema_editor,
        lambda value: value
        if panel.encryption.is_encrypted(value)
        else panel.encryption.encrypt(value),
    )


def decrypt_keys(apps, schema_editor):
    _rewrite(apps, schema_editor, panel.encryption.decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_service_step"),
    ]

    operations = [
        migrations.AlterField(
            model_name="provider",
            name="api_key",
            field=panel.encryption.EncryptedTextField(max_length=255, verbose_name="API key"),
        ),
        migrations.RunPython(encrypt_keys, decrypt_keys),
    ]
