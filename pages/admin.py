"""The public site in admin: one site-settings page, content pages and the blog."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from .models import ContactChannel, Page, Post, SellingPoint, SiteSettings


class SellingPointInline(admin.TabularInline):
    model = SellingPoint
    extra = 0
    fields = ["title", "text", "position"]


class ContactChannelInline(admin.StackedInline):
    model = ContactChannel
    extra = 0
    fields = [("title", "position"), "text", ("kind", "department"), "value"]


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    inlines = [SellingPointInline, ContactChannelInline]
    autocomplete_fields = ["featured_services"]
    fieldsets = [
        (None, {"fields": ["name", "tagline", "intro", "logo", "footer_note"]}),
        ("Search engines", {"fields": ["meta_description"]}),
        ("Catalog on the landing page", {"fields": ["currency_label", "platforms", "featured_services"]}),
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the one row comes from the data migration

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        """Straight to the one row: a list of one is a needless click."""
        SiteSettings.objects.get_or_create(pk=1, defaults={"name": settings.PANEL_NAME})
        return HttpResponseRedirect(reverse("admin:pages_sitesettings_change", args=[1]))


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["title", "link", "published", "in_footer", "position", "updated_at"]
    list_editable = ["published", "in_footer", "position"]
    list_filter = ["published"]
    search_fields = ["title", "slug", "body"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "meta_description", "body", ("published", "in_footer", "position")]

    @admin.display(description="address")
    def link(self, obj: Page) -> str:
        return format_html('<a href="{0}">{0}</a>', obj.get_absolute_url())


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "published_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title", "slug", "summary", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    fields = [
        "title", "slug", "summary", ("cover", "cover_alt"), "body", ("status", "published_at"),
    ]  # fmt: skip
    actions = ["publish", "unpublish"]

    @admin.action(description="Publish the selected posts", permissions=["change"])
    def publish(self, request: HttpRequest, queryset) -> None:
        self._set_status(request, queryset, Post.Status.PUBLISHED)

    @admin.action(description="Turn the selected posts back into drafts", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset) -> None:
        self._set_status(request, queryset, Post.Status.DRAFT)

    def _set_status(self, request: HttpRequest, queryset, status: str) -> None:
        for post in queryset.exclude(status=status):
            post.status = status
            post.save(update_fields=["status", "updated_at"])
            self.log_change(request, post, f"Status set to {status}.")
        self.message_user(request, f"{queryset.count()} post(s) now {status}.")
