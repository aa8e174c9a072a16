from django.contrib import admin, messages

from . import mail
from .models import MailStatus, OutboxMail


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    """What was and will be mailed: read-only; staff may only ask a failed mail to go again."""

    list_display = ["id", "subject", "recipients", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["key", "subject"]
    date_hierarchy = "created_at"
    fields = [
        "key", "to", "subject", "body", "status", "attempts", "next_attempt_at", "last_error",
        "created_at", "sent_at",
    ]  # fmt: skip
    readonly_fields = fields
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="to")
    def recipients(self, obj: OutboxMail) -> str:
        return ", ".join(obj.to)

    @admin.action(description="Send again (failed mails)", permissions=["change"])
    def retry(self, request, queryset):
        count = mail.retry(
            list(queryset.filter(status=MailStatus.FAILED).values_list("pk", flat=True))
        )
        self.message_user(request, f"{count} failed mail(s) will be sent again.", messages.SUCCESS)
