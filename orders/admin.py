"""Staff side of orders: find an order, see its money and history, and act on it by hand.

Nothing here edits an order: every field is read-only. Each staff action asks for a reason
(and the one input it needs), then calls one function of orders.staff per order, which does the
compare-and-set, the refund and the audit row, and says whether it changed anything.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize, truncatechars
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.models import LedgerEntry, User
from catalog.models import Category, Service
from panel.money import MONEY_PLACES, format_money
from panel.readonly import ReadOnlyAdminMixin

from . import staff
from .admin_counts import stuck
from .models import CancelRequest, Order, OrderAction, Refill
from .profit import with_profit
from .staff import StaffActionError

MAX_SELECTED = 500  # orders one action handles at once

# --- the forms each staff action asks for -----------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=staff.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why: kept with the order's history, never shown to the customer.",
    )


class AttachUpstreamIdForm(ReasonForm):
    upstream_id = forms.CharField(
        label="Provider's order id",
        max_length=staff.MAX_UPSTREAM_ID,
        help_text="The id the provider shows for this order.",
    )
    field_order = ["upstream_id", "reason"]


class SetPartialForm(ReasonForm):
    remains = forms.IntegerField(
        label="Not delivered (remains)",
        min_value=0,
        help_text="Units the provider did not deliver; their price is refunded.",
    )
    field_order = ["remains", "reason"]


class EditLinkForm(ReasonForm):
    link = forms.CharField(label="New link", max_length=2000, strip=True)
    field_order = ["link", "reason"]


@dataclass(frozen=True)
class StaffAction:
    name: str  # the orders.staff function, and the key of staff.ALLOWED_FROM
    label: str
    done: str  # "3 orders <done>."
    explain: str
    form: type[forms.Form] = ReasonForm
    one_at_a_time: bool = False  # its input belongs to one order (an upstream id, remains)
    refunds: bool = False  # moves money: needs `orders.refund_order`, not only `change_order`

    @property
    def permission(self) -> str:
        return "refund" if self.refunds else "staff"

    @property
    def function(self) -> Callable[..., bool]:
        return getattr(staff, self.name)


ACTIONS = {
    action.name: action
    for action in [
        StaffAction(
            "attach_upstream_id",
            "Attach the provider's order id",
            "attached to their provider's order",
            "The provider did create this order: it becomes In progress with this id and the "
            "poller follows it from now on.",
            AttachUpstreamIdForm,
            one_at_a_time=True,
        ),
        StaffAction(
            "confirm_not_created_and_resend",
            "Confirm not created, send again",
            "sent again",
            "You checked that the provider has no such order: it goes back to Pending and is "
            "sent again. If the provider did create it, the customer gets it twice for one charge.",
        ),
        StaffAction(
            "resend",
            "Send again",
            "sent again",
            "A held order, or a failed one whose charge was not refunded, goes back to Pending "
            "and is sent again from its first offer. A refunded failure cannot be resent: the "
            "customer places a new order.",
        ),
        StaffAction(
            "cancel_with_refund",
            "Cancel and refund",
            "canceled and refunded",
            "The order is canceled and its whole charge refunded, once. An order already at the "
            "provider (In progress, Needs review) may still be delivered there: you take that risk.",
            refunds=True,
        ),
        StaffAction(
            "set_partial",
            "Set partial",
            "set partial",
            "The order ends as Partial; the price of the units not delivered is refunded, once.",
            SetPartialForm,
            one_at_a_time=True,
            refunds=True,
        ),
        StaffAction(
            "edit_link",
            "Edit link",
            "given the new link",
            "Only orders not yet sent (Pending, On hold) can change link. The link is checked "
            "as on the order page.",
            EditLinkForm,
        ),
    ]
}


# --- orders -----------------------------------------------------------------------------------


class ByIdFilter(admin.SimpleListFilter):
    """One related row by id (`?customer=12`), without listing every customer in the sidebar;
    the list's customer and service cells link here."""

    related: type
    field: str

    def lookups(self, request, model_admin):
        # Only the chosen row: a filter with no choices would be dropped, not applied.
        value = self.value()
        if not value:
            return []
        row = self.related.objects.filter(pk=int(value)).first() if _is_id(value) else None
        return [(value, str(row) if row else f"{value} (none)")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(**{self.field: int(value)}) if _is_id(value) else queryset.none()


class CustomerFilter(ByIdFilter):
    title = "customer"
    parameter_name = "customer"
    related = User
    field = "user_id"


class ServiceFilter(ByIdFilter):
    title = "service"
    parameter_name = "service"
    related = Service
    field = "service_id"


class CategoryFilter(admin.SimpleListFilter):
    """The panel's categories (a short table), not the categories found among the orders."""

    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return list(Category.objects.values_list("pk", "name"))

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return (
            queryset.filter(service__category_id=int(value)) if _is_id(value) else queryset.none()
        )


class StuckFilter(admin.SimpleListFilter):
    title = "waiting too long"
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", "Pending > 10 min or sending > 5 min")]

    def queryset(self, request, queryset):
        return queryset.filter(stuck()) if self.value() == "yes" else queryset


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ["id", "created_at", "kind", "amount", "balance_after", "created_by", "memo"]
    readonly_fields = fields
    verbose_name_plural = "ledger (charge and refund)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by").order_by("id")


class OrderActionInline(ReadOnlyInline):
    model = OrderAction
    fields = ["created_at", "staff", "action", "reason", "details"]
    readonly_fields = fields
    verbose_name_plural = "staff actions"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("staff").order_by("id")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id", "created_at", "customer", "service_cell", "provider", "upstream_order_id",
        "link_cell", "quantity", "charge", "refunded", "profit_cell", "status", "flag_cell",
    ]  # fmt: skip
    list_filter = [
        "status", StuckFilter, "provider", CategoryFilter, CustomerFilter, ServiceFilter,
        "created_at",
    ]  # fmt: skip
    search_fields = ["=upstream_order_id", "link"]  # get_search_results decides; this shows the box
    search_help_text = "An order id or the provider's order id (exact), or part of the link."
    list_select_related = ["user", "service", "provider"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice: too slow on this table
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["user", "service", "status", "link", "quantity", "runs", "interval",
                           "extra", "client_reference", "error", "flag"]}),
        ("Money", {"fields": ["rate", "charge", "refunded", "cost", "exchange_rate",
                              "profit_cell"]}),
        ("Upstream", {"fields": ["provider", "upstream_service", "upstream_order_id",
                                 "upstream_status", "start_count", "remains", "remains_raw",
                                 "upstream_detail", "tried_offers"]}),
        ("Sending", {"fields": ["attempts", "next_attempt_at", "sent_at", "last_checked_at",
                                "created_at", "updated_at"]}),
    ]  # fmt: skip
    readonly_fields = ["created_at", "updated_at", "profit_cell"]
    inlines = [LedgerInline, OrderActionInline]
    actions = [f"{name}_action" for name in ACTIONS]

    # Read-only (ReadOnlyAdminMixin): money and status change only through the staff actions.
    def has_staff_permission(self, request) -> bool:
        return request.user.has_perm("orders.change_order")

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("orders.refund_order")

    def may_run(self, request, action: StaffAction) -> bool:
        return getattr(self, f"has_{action.permission}_permission")(request)

    @admin.display(description="customer", ordering="user_id")
    def customer(self, order: Order) -> str:
        return format_html('<a href="?customer={}">{}</a>', order.user_id, order.user.username)

    @admin.display(description="service", ordering="service_id")
    def service_cell(self, order: Order) -> str:
        name = truncatechars(order.service.name, 30)
        return format_html(
            '<a href="?service={}">#{} {}</a>', order.service_id, order.service_id, name
        )

    def get_queryset(self, request):
        return with_profit(super().get_queryset(request))

    @admin.display(description="profit", ordering="profit")
    def profit_cell(self, order: Order) -> str:
        """Paid minus the upstream's cost in the panel currency (orders/profit.py)."""
        return "–" if order.profit is None else format_money(order.profit.quantize(MONEY_PLACES))

    @admin.display(description="link")
    def link_cell(self, order: Order) -> str:
        return format_html('<span title="{}">{}</span>', order.link, truncatechars(order.link, 32))

    @admin.display(description="flag")
    def flag_cell(self, order: Order) -> str:
        return format_html('<span title="{}">{}</span>', order.flag, truncatechars(order.flag, 40))

    def get_search_results(self, request, queryset, search_term):
        """A number is an order id or a provider's id, exactly; other text a provider's id or
        part of a link."""
        term = search_term.strip().removeprefix("#")
        if not term:
            return queryset, False
        if _is_id(term):
            return queryset.filter(Q(pk=int(term)) | Q(upstream_order_id=term)), False
        return queryset.filter(Q(upstream_order_id=term) | Q(link__icontains=term)), False

    def get_urls(self):
        view = self.admin_site.admin_view(self.staff_action_view)
        return [
            path("<path:object_id>/staff/<str:name>/", view, name="orders_order_staff_action"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["staff_actions"] = [
                (reverse("admin:orders_order_staff_action", args=[obj.pk, name]), ACTIONS[name])
                for name in staff.applicable_actions(obj)
                if self.may_run(request, ACTIONS[name])
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- the actions: a page asking for the reason, then one orders.staff call per order ----

    @admin.action(description="Attach the provider's order id…", permissions=["staff"])
    def attach_upstream_id_action(self, request, queryset):
        return self._act_on_selected(request, queryset, ACTIONS["attach_upstream_id"])

    @admin.action(description="Confirm not created upstream, send again…", permissions=["staff"])
    def confirm_not_created_and_resend_action(self, request, queryset):
        return self._act_on_selected(request, queryset, ACTIONS["confirm_not_created_and_resend"])

    @admin.action(description="Send again (held, or failed unrefunded)…", permissions=["staff"])
    def resend_action(self, request, queryset):
        return self._act_on_selected(request, queryset, ACTIONS["resend"])

    @admin.action(description="Cancel and refund…", permissions=["refund"])
    def cancel_with_refund_action(self, request, queryset):
        return self._act_on_selected(request, queryset, ACTIONS["cancel_with_refund"])

    @admin.action(description="Set partial…", permissions=["refund"])
    def set_partial_action(self, request, queryset):
        return self._act_on_selected(request, queryset, ACTIONS["set_partial"])

    @admin.action(description="Edit link (not yet sent)…", permissions=["staff"])
    def edit_link_action(self, request, queryset):
        return self._act_on_selected(request, queryset, ACTIONS["edit_link"])

    def _act_on_selected(self, request, queryset, action: StaffAction):
        orders = list(queryset.select_related("service", "user").order_by("pk")[: MAX_SELECTED + 1])
        if len(orders) > MAX_SELECTED:
            self.message_user(request, f"Select at most {MAX_SELECTED} orders.", messages.WARNING)
            return None
        if action.one_at_a_time and len(orders) != 1:
            self.message_user(
                request, f"{action.label}: select exactly one order.", messages.WARNING
            )
            return None
        form = action.form(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid() and self._run(request, action, orders, form):
            return None
        return self._form_page(request, action, orders, form, from_list=True)

    def staff_action_view(self, request, object_id, name: str):
        """The same, for one order from the buttons on its page."""
        action = ACTIONS.get(name)
        order = self.get_object(request, unquote(object_id))
        if action is None or order is None:
            raise Http404("No such order or action.")
        if not self.may_run(request, action):
            raise PermissionDenied
        form = action.form(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid() and self._run(request, action, [order], form):
            return redirect("admin:orders_order_change", order.pk)
        return self._form_page(request, action, [order], form, from_list=False)

    def _run(self, request, action: StaffAction, orders: list[Order], form) -> bool:
        """Call the staff function on each order and report; False (form shows the error) when
        the only order selected was refused."""
        inputs = dict(form.cleaned_data)
        reason = inputs.pop("reason")
        changed, refused = 0, []
        for order in orders:
            try:
                changed += action.function(order=order, by=request.user, reason=reason, **inputs)
            except StaffActionError as exc:
                if len(orders) == 1:
                    form.add_error(None, exc.message)
                    return False
                refused.append(f"#{order.pk}: {exc.message}")
        skipped = len(orders) - changed
        text = f"{changed} order{pluralize(changed)} {action.done}."
        if skipped:
            text += (
                f" {skipped} skipped: not in a status this applies to any more, or already done."
            )
        self.message_user(request, text, messages.SUCCESS if changed else messages.WARNING)
        for line in refused[:20]:
            self.message_user(request, line, messages.ERROR)
        return True

    def _form_page(self, request, action: StaffAction, orders, form, *, from_list: bool):
        context = {
            **self.admin_site.each_context(request),
            "title": action.label,
            "opts": self.opts,
            "staff_action": action,
            "orders": orders,
            "form": form,
            "from_list": from_list,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/orders/order/staff_action.html", context)


# --- read-only lists --------------------------------------------------------------------------


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False

    @admin.display(description="order", ordering="order_id")
    def order_ref(self, row) -> str:
        url = reverse("admin:orders_order_change", args=[row.order_id])
        return format_html('<a href="{}">#{}</a>', url, row.order_id)


@admin.register(OrderAction)
class OrderActionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "order_ref", "staff", "action", "reason"]
    list_filter = ["action", "created_at"]
    search_fields = ["=order__id", "reason"]
    list_select_related = ["staff"]


@admin.register(Refill)
class RefillAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "created_at", "order_ref", "user", "status", "upstream_refill_id", "upstream_status",
        "attempts", "error",
    ]  # fmt: skip
    list_filter = ["status"]
    search_fields = ["=order__id", "=upstream_refill_id"]
    list_select_related = ["user"]


@admin.register(CancelRequest)
class CancelRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "order_ref", "user", "status", "attempts", "error"]
    list_filter = ["status"]
    search_fields = ["=order__id"]
    list_select_related = ["user"]


def _is_id(value: str | None) -> bool:
    return bool(value) and value.isascii() and value.isdigit() and len(value) <= 18
