"""The admin's read-only pages: rows staff see but never add, change or delete by hand (money
and statuses change only through the service functions the admin's actions call)."""


class ReadOnlyAdminMixin:
    """For a ModelAdmin or an inline: put it first among the bases."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
