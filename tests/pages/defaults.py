"""The rows the data migrations seed (site settings, content pages, support departments),
made again for transactional tests: the database is emptied after each of those."""

from importlib import import_module

from django.apps import apps


def restore_defaults() -> None:
    for module in ("support.migrations.0002_departments", "pages.migrations.0003_default_content"):
        import_module(module).create(apps, None)  # get_or_create: a no-op when present
