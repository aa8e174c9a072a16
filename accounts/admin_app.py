"""django.contrib.admin's app config, with the panel's admin site as its default site."""

from django.contrib.admin.apps import AdminConfig


class PanelAdminConfig(AdminConfig):
    """The admin whose site asks staff for a second factor (accounts/adminsite.py)."""

    default_site = "accounts.adminsite.PanelAdminSite"
