"""An edit of anything the public pages show forgets every cached public fragment.

Covers every admin change (each one writes a LogEntry) and direct saves of the models shown;
a catalog sync that reprices in bulk is covered by the short catalog timeout (pages/cache.py).
"""

from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from catalog.models import Category, MarkupRule, Service
from catalog.signals import catalog_changed
from support.models import Department

from .cache import invalidate
from .models import ContactChannel, Page, Post, SellingPoint, SiteSettings

# Which version each model's edits bump (pages/cache.py).
WATCHED = {
    SiteSettings: "site", SellingPoint: "site", ContactChannel: "site", Page: "site",
    Post: "site", Department: "site", Category: "catalog", Service: "catalog",
    MarkupRule: "catalog",
}  # fmt: skip
# Admin edits of these apps' rows (a LogEntry each), e.g. an admin action repricing in bulk.
SHOWN_APPS = {"pages": "site", "catalog": "catalog"}


def _bump(scope: str) -> None:
    # After commit too: a request between the save and the commit may cache the old rows.
    invalidate(scope)
    transaction.on_commit(lambda: invalidate(scope))


def _changed(sender, **kwargs) -> None:
    _bump(WATCHED[sender])


for model in WATCHED:
    post_save.connect(_changed, sender=model, dispatch_uid=f"pages-save-{model.__name__}")
    post_delete.connect(_changed, sender=model, dispatch_uid=f"pages-delete-{model.__name__}")


@receiver(post_save, sender=LogEntry, dispatch_uid="pages-admin-edit")
def _admin_edit(sender, instance: LogEntry, **kwargs) -> None:
    if instance.content_type_id and instance.content_type.app_label in SHOWN_APPS:
        _bump(SHOWN_APPS[instance.content_type.app_label])


@receiver(m2m_changed, sender=SiteSettings.featured_services.through)
def _featured_changed(sender, **kwargs) -> None:
    _bump("site")


@receiver(catalog_changed, dispatch_uid="pages-catalog-changed")
def _catalog_changed(sender, **kwargs) -> None:
    """Repricing and imports in bulk (catalog/signals.py): rates shown anywhere are stale."""
    _bump("catalog")
