"""Re-encrypt every stored secret under the first of FIELD_ENCRYPTION_KEYS (key rotation)."""

from django.apps import apps
from django.core.management import BaseCommand
from django.db import transaction

from panel.encryption import EncryptedTextField


class Command(BaseCommand):
    help = (
        "Put the new key first in FIELD_ENCRYPTION_KEYS, run this, then drop the old key: "
        "every encrypted field is rewritten under the new key."
    )

    def handle(self, *args, **options):
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedTextField):
                    count = _rewrite(model, field.name)
                    self.stdout.write(f"{model._meta.label}.{field.name}: {count} re-encrypted")


def _rewrite(model, name: str) -> int:
    with transaction.atomic():
        rows = list(model._default_manager.select_for_update().values_list("pk", name))
        for pk, plain in rows:  # read with any key, written with the first
            model._default_manager.filter(pk=pk).update(**{name: plain})
    return len(rows)
