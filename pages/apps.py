from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = "Public site"

    def ready(self) -> None:
        from django.contrib import admin

        from . import signals  # noqa: F401  (cache invalidation on edits)
        from .site import lazy_panel_name

        # The panel's name instead of "Django administration", read when a page is rendered.
        admin.site.site_header = lazy_panel_name()
        admin.site.site_title = lazy_panel_name()
        admin.site.index_title = "Administration"
