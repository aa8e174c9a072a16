"""How many customer API keys each HMAC secret signed: an old secret may leave
API_KEY_HMAC_SECRETS (or an old SECRET_KEY its fallbacks) once no key needs it."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Count

from accounts.apikeys import secret_id
from accounts.models import ApiKey


class Command(BaseCommand):
    help = "Count the customer API keys signed by each API_KEY_HMAC_SECRETS entry."

    def handle(self, *args, **options):
        counts = dict(ApiKey.objects.values_list("secret_id").annotate(n=Count("id")).order_by())
        for position, secret in enumerate(settings.API_KEY_HMAC_SECRETS, start=1):
            role = "signs and verifies" if position == 1 else "verifies only"
            used = counts.pop(secret_id(secret), 0)
            self.stdout.write(f"secret #{position} ({role}): {used} keys")
        self.stdout.write(f"SECRET_KEY (before API_KEY_HMAC_SECRETS): {counts.pop('', 0)} keys")
        if counts:
            lost = sum(counts.values())
            self.stdout.write(f"a secret no longer listed: {lost} keys (these no longer work)")
