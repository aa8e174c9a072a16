"""Image attachments of ticket messages: checked by what they are, not by what they say.

A file is kept only if Pillow reads it as a PNG, JPEG, GIF or WebP image within the size and
pixel limits; it is stored under a random name outside the web root (PRIVATE_MEDIA_ROOT) and
served only to the ticket's owner and its staff (support/views.py), with the type found here.
"""

import re
import uuid
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

from .models import Attachment, Message

FORMATS = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg"),
           "GIF": ("image/gif", ".gif"), "WEBP": ("image/webp", ".webp")}  # fmt: skip
MAX_PIXELS = 40_000_000  # e.g. 8000 × 5000; a small file can claim a huge canvas


class AttachmentError(ValueError):
    pass


@dataclass(frozen=True)
class Checked:
    content_type: str
    extension: str
    width: int
    height: int


def check_image(file: UploadedFile) -> Checked:
    """What the file really is, or AttachmentError saying why it is refused."""
    limit = settings.SUPPORT_ATTACHMENT_MAX_BYTES
    if file.size > limit:
        raise AttachmentError(
            f"{clean_name(file.name)} is {file.size / 1024 / 1024:.1f} MB; "
            f"an attachment may be at most {limit / 1024 / 1024:.0f} MB."
        )
    try:
        file.seek(0)
        with Image.open(file) as image:
            kind = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise AttachmentError(f"{clean_name(file.name)} has too many pixels.")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise AttachmentError(
            f"{clean_name(file.name)} is not an image: attach PNG, JPEG, GIF or WebP pictures."
        ) from None
    finally:
        file.seek(0)
    if kind not in FORMATS:
        raise AttachmentError(
            f"{clean_name(file.name)} is a {kind} image: attach PNG, JPEG, GIF or WebP."
        )
    content_type, extension = FORMATS[kind]
    return Checked(content_type, extension, width, height)


def check_images(files: list[UploadedFile]) -> None:
    most = settings.SUPPORT_ATTACHMENTS_PER_MESSAGE
    if len(files) > most:
        raise AttachmentError(f"Attach at most {most} pictures to one message.")
    for file in files:
        check_image(file)


def store_attachments(*, message: Message, files: list[UploadedFile]) -> list[Attachment]:
    check_images(files)
    stored = []
    for file in files:
        checked = check_image(file)
        attachment = Attachment(
            message=message,
            name=clean_name(file.name),
            content_type=checked.content_type,
            size=file.size,
            width=checked.width,
            height=checked.height,
        )
        attachment.file.save(f"{uuid.uuid4().hex}{checked.extension}", file, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def clean_name(name: str | None) -> str:
    """The uploaded name, for display only: no path, no control characters, bounded."""
    base = PurePath((name or "image").replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._\- ()]+", "_", base).strip(" .") or "image"
    return base[-100:]
