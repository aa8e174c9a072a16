"""Where uploaded files live: folders named by settings, outside the web root.

Each storage reads its folder from its setting when first used (and again when a test changes
the setting), so models and their migrations name a class, never a machine's path.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property


class _SettingStorage(FileSystemStorage):
    setting: str

    def __init__(self):
        super().__init__(base_url=None)  # no URL: a view serves each file, after its checks

    @cached_property
    def base_location(self):
        return getattr(settings, self.setting)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == self.setting:
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


@deconstructible(path="panel.storage.PublicMediaStorage")
class PublicMediaStorage(_SettingStorage):
    """Logos and blog covers (PUBLIC_MEDIA_ROOT), served by pages.views.upload."""

    setting = "PUBLIC_MEDIA_ROOT"


@deconstructible(path="panel.storage.PrivateMediaStorage")
class PrivateMediaStorage(_SettingStorage):
    """Ticket attachments (PRIVATE_MEDIA_ROOT), served only to their owner and staff."""

    setting = "PRIVATE_MEDIA_ROOT"
