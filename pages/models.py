"""The public face of the panel, edited in admin: site settings, content pages and blog posts.

Every public page reads these through pages/site.py and pages/cache.py; an admin edit bumps the
cache version (pages/apps.py), so visitors see it at once.
"""

import uuid
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from panel.storage import PublicMediaStorage

public_storage = PublicMediaStorage()  # served by pages.views.upload


IMAGE_MAX_BYTES = 2 * 1024 * 1024


def upload_path(instance, filename: str) -> str:
    """A fresh name per upload, so a file's URL can be cached for good."""
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"{instance._meta.model_name}/{uuid.uuid4().hex}{suffix}"


def validate_image_size(file) -> None:
    if file.size > IMAGE_MAX_BYTES:
        raise ValidationError("An image may be at most 2 MB.")


class SiteSettings(models.Model):
    """The one row (pk=1) of the panel's public identity; see pages.site.current()."""

    name = models.CharField(max_length=60, help_text="The panel's name, on every page and mail.")
    tagline = models.CharField(max_length=160, blank=True)
    intro = models.TextField(
        "about the panel", blank=True, validators=[MaxLengthValidator(1000)],
        help_text="A short paragraph under the tagline (plain text).",
    )  # fmt: skip
    logo = models.ImageField(
        storage=public_storage, upload_to=upload_path, blank=True,
        validators=[validate_image_size], help_text="PNG, JPEG or WebP, up to 2 MB.",
    )  # fmt: skip
    meta_description = models.CharField(
        max_length=300, blank=True, help_text="For search engines; the tagline when empty."
    )
    currency_label = models.CharField(
        "currency shown", max_length=8, blank=True,
        help_text="How prices are labelled on the public pages, e.g. USD or $. "
        "Empty: the panel currency. Prices are always in the panel currency.",
    )  # fmt: skip
    platforms = models.TextField(
        blank=True,
        help_text="One platform per line (e.g. Instagram). Each gathers the categories whose "
        "name contains it. Empty: the first word of every category.",
    )
    featured_services = models.ManyToManyField(
        "catalog.Service", blank=True, related_name="+",
        help_text="Shown on the landing page with their live rates (up to 8).",
    )  # fmt: skip
    footer_note = models.CharField(
        max_length=200, blank=True, help_text="After the ©, e.g. “All Rights Reserved”."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return "Site settings"

    def save(self, *args, **kwargs):
        self.pk = 1  # one row
        super().save(*args, **kwargs)


class SellingPoint(models.Model):
    site = models.ForeignKey(SiteSettings, on_delete=models.CASCADE, related_name="selling_points")
    title = models.CharField(max_length=60)
    text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class ChannelKind(models.TextChoices):
    TICKET = "ticket", "Support ticket (a department)"
    EMAIL = "email", "E-mail address"
    TELEGRAM = "telegram", "Telegram username"
    WHATSAPP = "whatsapp", "WhatsApp number"
    LINK = "link", "Web link (https://…)"


class ContactChannel(models.Model):
    """A way to reach the panel, e.g. “Admin support — payment related queries only”."""

    site = models.ForeignKey(SiteSettings, on_delete=models.CASCADE, related_name="channels")
    title = models.CharField(max_length=60)
    text = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices, default=ChannelKind.TICKET)
    department = models.ForeignKey(
        "support.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="For a support ticket: the department it opens in.",
    )  # fmt: skip
    value = models.CharField(
        max_length=200, blank=True, help_text="The address, username, number or link."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from .contact import channel_url

        if self.kind == ChannelKind.TICKET and not self.department_id:
            raise ValidationError({"department": "Choose the department the ticket opens in."})
        if self.kind != ChannelKind.TICKET:
            try:
                channel_url(kind=self.kind, value=self.value)
            except ValueError as exc:
                raise ValidationError({"value": str(exc)}) from exc


def validate_page_slug(slug: str) -> None:
    """A page lives at /<slug>: it may not take a path the panel already answers."""
    try:
        match = resolve(f"/{slug}")
    except Resolver404:
        return
    if match.url_name != "page":
        raise ValidationError(f"/{slug} is already a page of the panel; choose another slug.")


class Page(models.Model):
    """A content page (Terms, Privacy, About, FAQ, Refund policy…) at /<slug>."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True, validators=[validate_page_slug])
    meta_description = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Markdown.", validators=[MaxLengthValidator(100_000)])
    published = models.BooleanField(default=True)
    in_footer = models.BooleanField("link in the footer", default=True)
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("page", args=[self.slug])


class PostQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=160)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.CharField(
        max_length=300, blank=True, help_text="Shown in the list and to search engines."
    )
    cover = models.ImageField(
        storage=public_storage, upload_to=upload_path, blank=True,
        validators=[validate_image_size], help_text="PNG, JPEG or WebP, up to 2 MB.",
    )  # fmt: skip
    cover_alt = models.CharField("cover description", max_length=160, blank=True)
    body = models.TextField(help_text="Markdown.", validators=[MaxLengthValidator(200_000)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        default=timezone.now, help_text="A published post appears from this moment on."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["status", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("post", args=[self.slug])
