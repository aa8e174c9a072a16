from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.utils.html import format_html

from audit.admin import AuditedAdminMixin
from audit.record import record
from panel.admin_secrets import SecretFieldsMixin
from panel.readonly import ReadOnlyAdminMixin

from .balances import check_balance
from .models import (
    Category,
    MarkupRule,
    PriceChange,
    Provider,
    Service,
    ServiceOffer,
    UpstreamService,
    validate_markup,
)
from .pricing import refresh_services
from .sync import sync_provider
from .upstream import UpstreamError


@admin.register(Provider)
class ProviderAdmin(AuditedAdminMixin, SecretFieldsMixin, admin.ModelAdmin):
    # The key is write-only: never rendered back, not even to view-only staff.
    secret_fields = ("api_key",)
    fields = [
        "name", "api_url", "api_key", "currency", "exchange_rate", "enabled", "auto_import",
        "last_synced_at", "last_error", "last_error_at", "balance", "balance_currency",
        "balance_checked_at", "created_at",
    ]  # fmt: skip
    list_display = [
        "name", "api_url", "currency", "exchange_rate", "enabled", "auto_import", "balance",
        "balance_currency", "last_synced_at", "last_error",
    ]  # fmt: skip
    list_filter = ["enabled"]
    search_fields = ["name", "api_url"]
    readonly_fields = [
        "last_synced_at", "last_error", "last_error_at", "balance", "balance_currency",
        "balance_checked_at", "created_at",
    ]  # fmt: skip
    actions = ["sync_now", "check_balance"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if {"exchange_rate", "enabled"} & set(form.changed_data):
            refresh_services(
                ServiceOffer.objects.filter(upstream_service__provider=obj).values("service_id")
            )

    # Each blocks a web worker for up to a minute and writes the catalog: `change_provider`.
    @admin.action(description="Sync now", permissions=["change"])
    def sync_now(self, request, queryset):
        self._ask_each(request, queryset, sync_provider, str)

    @admin.action(description="Check balance", permissions=["change"])
    def check_balance(self, request, queryset):
        self._ask_each(request, queryset, check_balance, lambda b: f"{b.amount} {b.currency}")

    def _ask_each(self, request, queryset, ask, report) -> None:
        """One upstream call per selected provider, each reported with its outcome."""
        for provider in queryset:
            try:
                result = ask(provider)
            except UpstreamError as exc:
                self.message_user(request, f"{provider}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{provider}: {report(result)}", messages.SUCCESS)


class PriceChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PriceChange
    extra = 0
    can_delete = False
    readonly_fields = ["old_rate", "new_rate", "seen_at"]


@admin.register(UpstreamService)
class UpstreamServiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What providers sell, as synced: read-only, the sync is the only writer."""

    list_display = [
        "upstream_id", "name", "provider", "category", "type", "rate", "min", "max", "refill",
        "cancel", "dripfeed", "active", "last_seen",
    ]  # fmt: skip
    list_filter = ["provider", "active", "type", "refill", "cancel", "dripfeed", "category"]
    search_fields = ["name", "=upstream_id", "category"]
    list_select_related = ["provider"]
    inlines = [PriceChangeInline]
    show_full_result_count = False


class ServiceOfferInline(admin.TabularInline):
    model = ServiceOffer
    extra = 0
    raw_id_fields = ["upstream_service"]
    fields = ["priority", "upstream_service"]


class SetMarkupForm(forms.Form):
    percent = forms.DecimalField(
        label="Markup %", max_digits=9, decimal_places=4, validators=[validate_markup]
    )


def _offer_cost(usable_only: bool) -> Subquery:
    """The cost per 1000 in the panel currency of a service's first (usable) offer."""
    offers = ServiceOffer.objects.filter(service_id=OuterRef("pk"))
    if usable_only:
        offers = offers.filter(
            upstream_service__active=True, upstream_service__provider__enabled=True
        )
    cost = ExpressionWrapper(
        F("upstream_service__rate") * F("upstream_service__provider__exchange_rate"),
        output_field=DecimalField(max_digits=30, decimal_places=10),
    )
    return Subquery(offers.order_by("priority", "id").annotate(cost=cost).values("cost")[:1])


def _offer_provider(usable_only: bool) -> Subquery:
    offers = ServiceOffer.objects.filter(service_id=OuterRef("pk"))
    if usable_only:
        offers = offers.filter(
            upstream_service__active=True, upstream_service__provider__enabled=True
        )
    return Subquery(
        offers.order_by("priority", "id").values("upstream_service__provider__name")[:1]
    )


class ProviderOfServiceFilter(admin.SimpleListFilter):
    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return list(Provider.objects.values_list("pk", "name"))

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(
                service_offers__upstream_service__provider_id=int(self.value())
            ).distinct()
        return queryset


@admin.register(Service)
class ServiceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    # Readable names, the cost and margin beside the selling rate, and the markup inputs
    # narrow enough to stay on screen at 1280 px (static/css/admin-lists.css).
    list_display = [
        "id", "name_cell", "category", "provider_name", "cost_cell", "rate", "margin_cell",
        "markup_percent", "fixed_rate", "enabled",
    ]  # fmt: skip
    list_display_links = ["id", "name_cell"]
    list_editable = ["markup_percent", "fixed_rate", "enabled"]
    list_filter = ["enabled", "available", ProviderOfServiceFilter, "type", "category"]
    search_fields = ["name", "=id"]
    list_select_related = ["category"]
    readonly_fields = ["rate", "min", "max", "available", "refill", "cancel", "dripfeed", "type"]
    inlines = [ServiceOfferInline]
    actions = ["set_markup"]
    show_full_result_count = False

    class Media:
        css = {"all": ["css/admin-lists.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                cost=Coalesce(_offer_cost(True), _offer_cost(False)),
                provider_name=Coalesce(_offer_provider(True), _offer_provider(False)),
            )
        )

    @admin.display(description="name", ordering="name")
    def name_cell(self, service: Service) -> str:
        if not service.available:  # no active offer: not sold whatever "enabled" says
            return format_html(
                '<span class="service-name">{} <span class="unavailable">(unavailable)</span></span>',
                service.name,
            )
        return format_html('<span class="service-name">{}</span>', service.name)

    @admin.display(description="provider", ordering="provider_name")
    def provider_name(self, service: Service) -> str:
        return service.provider_name or "–"

    @admin.display(description="cost / 1000", ordering="cost")
    def cost_cell(self, service: Service) -> str:
        return "–" if service.cost is None else f"{service.cost:.4f}"

    @admin.display(description="margin")
    def margin_cell(self, service: Service) -> str:
        if service.cost is None or not service.rate:
            return "–"
        margin = (service.rate - service.cost) / service.rate * 100
        text = f"{margin.quantize(Decimal('0.1'))}%"
        return format_html('<span class="margin-negative">{}</span>', text) if margin < 0 else text

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the offers inline is saved: the price and flags follow the chosen offer.
        refresh_services([form.instance.pk])

    @admin.action(description="Set markup on selected services", permissions=["change"])
    def set_markup(self, request, queryset):
        form = SetMarkupForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            ids = list(queryset.values_list("pk", flat=True))
            percent = form.cleaned_data["percent"]
            with transaction.atomic():
                before = dict(
                    Service.objects.filter(pk__in=ids).values_list("pk", "markup_percent")
                )
                Service.objects.filter(pk__in=ids).update(markup_percent=percent)
                changed = refresh_services(ids)
                for service in Service.objects.filter(pk__in=ids).order_by("pk"):
                    record(
                        actor=request.user, action="set_markup", target=service,
                        changes={"markup_percent": [str(before[service.pk]), str(percent)]},
                    )  # fmt: skip
            self.message_user(
                request,
                f"Markup {form.cleaned_data['percent']}% set on {len(ids)} services; "
                f"{changed} prices changed.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Set markup",
            "form": form,
            "queryset": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/catalog/service/set_markup.html", context)


@admin.register(Category)
class CategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "position", "enabled"]
    list_editable = ["position", "enabled"]
    search_fields = ["name"]


@admin.register(MarkupRule)
class MarkupRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["scope", "percent"]
    raw_id_fields = ["category"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        refresh_services()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        refresh_services()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        refresh_services()
