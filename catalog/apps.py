from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import MarkupRule
        from .pricing import markup_rules_changed

        # Any path that saves or deletes a rule (admin, shell, command, a cascade) reprices.
        post_save.connect(markup_rules_changed, sender=MarkupRule, dispatch_uid="markup-saved")
        post_delete.connect(markup_rules_changed, sender=MarkupRule, dispatch_uid="markup-gone")
