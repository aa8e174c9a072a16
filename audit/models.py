"""The audit trail of staff changes to money, markups, providers, services and roles.

Rows are only ever added (audit/record.py); admin shows them read-only. A secret's change is
recorded as "changed", never its value.
"""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    actor_name = models.CharField("who", max_length=150, blank=True)  # kept if the user goes
    action = models.CharField(max_length=40, db_index=True)
    target_type = models.CharField("what", max_length=100, db_index=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    target_repr = models.CharField("target", max_length=200, blank=True)
    changes = models.JSONField("before → after", default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.target_type} #{self.target_id}"
