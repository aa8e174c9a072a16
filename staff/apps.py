from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff dashboard"

    def ready(self) -> None:
        from . import signals

        signals.connect()
