"""The audit trail in admin: read-only, never added, changed or deleted by hand; and the mixin
that records a ModelAdmin's saves and deletions."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from panel.readonly import ReadOnlyAdminMixin

from .models import AuditEntry
from .record import SECRET_CHANGED, diff, record, snapshot


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "created_at", "actor_name", "action", "target_type", "target_repr",
                    "changes_cell"]  # fmt: skip
    list_filter = ["action", "target_type", "created_at"]
    search_fields = ["actor_name", "=target_id", "target_repr", "note"]
    date_hierarchy = "created_at"
    fields = ["created_at", "actor", "actor_name", "action", "target_type", "target_id",
              "target_repr", "changes_cell", "note"]  # fmt: skip
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="before → after")
    def changes_cell(self, entry: AuditEntry) -> str:
        rows = [
            (name, "changed" if change == SECRET_CHANGED else f"{change[0]} → {change[1]}")
            for name, change in (entry.changes or {}).items()
        ]
        if not rows:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", rows))


class AuditedAdminMixin:
    """Records every save and deletion made through this ModelAdmin: who, before → after.

    `audit_fields`: the fields recorded (default: every concrete field and many-to-many);
    `secret_fields` (as for panel.admin_secrets): recorded as "changed", never the value.
    """

    audit_fields: tuple[str, ...] | None = None

    def _audit_snapshot(self, obj):
        fields = self.audit_fields or [
            f.name
            for f in [*obj._meta.concrete_fields, *obj._meta.many_to_many]
            if not getattr(f, "auto_now", False)  # "updated at": the entry has its own time
        ]
        return snapshot(obj, fields)

    def save_model(self, request, obj, form, change):
        before = {}
        if change and obj.pk is not None:
            old = type(obj)._base_manager.filter(pk=obj.pk).first()
            before = self._audit_snapshot(old) if old is not None else {}
        pending = request.__dict__.setdefault("_audit_pending", {})
        pending[id(obj)] = (before, change)
        super().save_model(request, obj, form, change)
        if not self._audit_has_m2m(obj):
            self._audit_write(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if self._audit_has_m2m(form.instance):
            self._audit_write(request, form.instance)

    def delete_model(self, request, obj):
        self._audit_deleted(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit_deleted(request, obj)
        super().delete_queryset(request, queryset)

    def _audit_deleted(self, request, obj) -> None:
        secrets = self._audit_secrets()
        changes = {
            name: SECRET_CHANGED if name in secrets else [value, None]
            for name, value in self._audit_snapshot(obj).items()
        }
        record(actor=request.user, action="delete", target=obj, changes=changes)

    def _audit_has_m2m(self, obj) -> bool:
        names = self.audit_fields or [f.name for f in obj._meta.many_to_many]
        return any(obj._meta.get_field(n).many_to_many for n in names)

    def _audit_secrets(self) -> tuple[str, ...]:
        return tuple(getattr(self, "secret_fields", ()))

    def _audit_write(self, request, obj) -> None:
        pending = request.__dict__.get("_audit_pending", {})
        if id(obj) not in pending:
            return
        before, change = pending.pop(id(obj))
        saved = type(obj)._base_manager.get(pk=obj.pk)  # as stored: 1.000000, not the form's 1
        changes = diff(before, self._audit_snapshot(saved), self._audit_secrets())
        if change and not changes:
            return
        action = "change" if change else "add"
        record(actor=request.user, action=action, target=obj, changes=changes)
