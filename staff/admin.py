"""Admin of the staff dashboard's settings, and the provider list with balance, health and last
sync (the catalog's ProviderAdmin, extended here: catalog imports no app)."""

from contextvars import ContextVar

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from audit.admin import AuditedAdminMixin
from catalog.admin import ProviderAdmin
from catalog.models import Provider
from panel.readonly import ReadOnlyAdminMixin

from .balances import in_panel_currency
from .health import Health, health_by_provider
from .models import BalanceReading, ProviderCall, ProviderWatch, ServiceWatch

_HEALTH: ContextVar[dict[int, Health] | None] = ContextVar("provider_list_health", default=None)


admin.site.unregister(Provider)


@admin.register(Provider)
class StaffProviderAdmin(ProviderAdmin):
    list_display = [
        "name", "enabled", "balance_cell", "health_cell", "last_synced_at", "error_cell",
    ]  # fmt: skip
    list_display_links = ["name"]

    class Media:
        css = {"all": ["css/admin-lists.css"]}

    def changelist_view(self, request, extra_context=None):
        token = _HEALTH.set(health_by_provider(timezone.now(), "hour"))
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()  # while the health figures are set
            return response
        finally:
            _HEALTH.reset(token)

    @admin.display(description="balance", ordering="balance")
    def balance_cell(self, provider: Provider) -> str:
        if provider.balance is None:
            return "never checked"
        currency = provider.balance_currency or provider.currency
        text = f"{provider.balance:,.2f} {currency}"
        converted = in_panel_currency(provider, provider.balance)
        from django.conf import settings

        if converted is not None and currency != settings.PANEL_CURRENCY:
            text += f" (≈ {converted:,.2f} {settings.PANEL_CURRENCY})"
        checked = provider.balance_checked_at
        title = f"checked {timezone.localtime(checked):%Y-%m-%d %H:%M}" if checked else ""
        return format_html('<span title="{}">{}</span>', title, text)

    @admin.display(description="last hour: calls · errors · p95 · unknown")
    def health_cell(self, provider: Provider) -> str:
        health = (_HEALTH.get() or {}).get(provider.pk)
        if health is None:
            return "no calls"
        p95 = f"{health.p95_ms} ms" if health.p95_ms is not None else "–"
        return f"{health.calls} · {health.error_percent} · {p95} · {health.unknown}"

    @admin.display(description="last error")
    def error_cell(self, provider: Provider) -> str:
        text = provider.last_error
        return format_html(
            '<span title="{}">{}</span>', text, text[:40] + ("…" if len(text) > 40 else "")
        )


@admin.register(ProviderWatch)
class ProviderWatchAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Each provider's low-balance threshold (in its own currency), and whether it is below."""

    list_display = ["provider", "low_balance", "low_since"]
    list_editable = ["low_balance"]
    readonly_fields = ["low_since"]


@admin.register(ServiceWatch)
class ServiceWatchAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["service", "stalled_after_hours"]
    list_editable = ["stalled_after_hours"]
    raw_id_fields = ["service"]
    search_fields = ["service__name", "=service__id"]


@admin.register(BalanceReading)
class BalanceReadingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["provider", "amount", "currency", "checked_at"]
    list_filter = ["provider", "checked_at"]
    show_full_result_count = False


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "provider", "action", "outcome", "ms", "error"]
    list_filter = ["provider", "outcome", "action", "at"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
