"""The staff side of support: departments, canned replies, and the ticket desk.

The ticket list is the queue (tickets waiting for staff first, longest waiting first; one
department at a time through the filter); a ticket opens the desk (support/desk.py): the
thread, the customer's balance and orders beside it, reply or note, assign, close. Staff see
only the tickets of their departments (Department.groups).
"""

from django.contrib import admin, messages
from django.contrib.admin import ShowFacets
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest

from . import desk
from .models import CannedReply, Department, Ticket, TicketStatus
from .tickets import close_ticket, staff_departments, staff_tickets


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = [
        "name", "description", "active", "handles_orders", "email", "group_names", "position",
    ]  # fmt: skip
    list_editable = ["active", "handles_orders", "position"]
    filter_horizontal = ["groups"]
    search_fields = ["name"]

    @admin.display(description="staff groups")
    def group_names(self, obj: Department) -> str:
        return ", ".join(g.name for g in obj.groups.all()) or "every support staff member"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("groups")


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "department"]
    list_filter = ["department"]
    search_fields = ["title", "body"]


class DepartmentFilter(admin.SimpleListFilter):
    """One queue per department: only the departments this staff member works."""

    title = "department"
    parameter_name = "department"

    def lookups(self, request, model_admin):
        return [(d.pk, d.name) for d in staff_departments(request.user)]

    def queryset(self, request, queryset):
        value = str(self.value() or "")
        if value.isdigit():
            return queryset.filter(department_id=int(value))
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned to"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Me"), ("nobody", "Nobody")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "id", "subject", "user", "department", "status", "waiting_since", "assigned_to",
        "new_message", "updated_at",
    ]  # fmt: skip
    list_display_links = ["id", "subject"]
    list_filter = [DepartmentFilter, "status", AssignedFilter]
    search_fields = ["=id", "subject", "user__username", "user__email"]
    list_select_related = ["user", "department", "assigned_to"]
    show_facets = ShowFacets.ALWAYS
    actions = ["assign_to_me", "close_tickets"]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest):
        """Waiting for staff first (longest waiting first), then answered, then closed."""
        rank = Case(
            When(status=TicketStatus.OPEN, then=Value(0)),
            When(status=TicketStatus.ANSWERED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return (
            staff_tickets(request.user)
            .annotate(queue_rank=rank)
            .order_by("queue_rank", "waiting_since", "-updated_at", "-id")
        )

    def get_ordering(self, request: HttpRequest):
        return ["queue_rank", "waiting_since", "-updated_at", "-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers open tickets

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the record of what was said stays

    @admin.display(description="new", boolean=True)
    def new_message(self, obj: Ticket) -> bool:
        return obj.staff_unread

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        return desk.desk_view(self, request, object_id)

    @admin.action(description="Assign the selected tickets to me", permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset) -> None:
        count = queryset.update(assigned_to=request.user)
        self.message_user(request, f"{count} ticket(s) assigned to you.")

    @admin.action(description="Close the selected tickets", permissions=["change"])
    def close_tickets(self, request: HttpRequest, queryset) -> None:
        closed = sum(close_ticket(ticket=t, by=request.user) for t in queryset)
        self.message_user(request, f"{closed} ticket(s) closed.", messages.SUCCESS)
