"""The site settings as every page uses them: one cached, plain snapshot per cache version."""

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils.functional import lazy

from .cache import cached
from .contact import channel_url


@dataclass(frozen=True)
class Channel:
    title: str
    text: str
    url: str
    external: bool


@dataclass(frozen=True)
class Site:
    name: str
    tagline: str = ""
    intro: str = ""
    logo_url: str = ""
    meta_description: str = ""
    currency: str = ""
    selling_points: list[tuple[str, str]] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    footer_pages: list[tuple[str, str]] = field(default_factory=list)  # (title, url)
    footer_note: str = ""
    platforms: list[str] = field(default_factory=list)
    featured_ids: list[int] = field(default_factory=list)


def current() -> Site:
    return cached("site", load_site, scopes=("site",))


def load_site() -> Site:
    from .models import Page, SiteSettings

    row = SiteSettings.objects.filter(pk=1).first()
    if row is None:  # before the data migration ran (or a test that removed it)
        return Site(name=settings.PANEL_NAME, currency=settings.PANEL_CURRENCY)
    pages = Page.objects.filter(published=True, in_footer=True).values_list("title", "slug")
    return Site(
        name=row.name,
        tagline=row.tagline,
        intro=row.intro,
        logo_url=reverse("upload", args=[row.logo.name]) if row.logo else "",
        meta_description=row.meta_description or row.tagline,
        currency=row.currency_label or settings.PANEL_CURRENCY,
        selling_points=[(p.title, p.text) for p in row.selling_points.all()],
        channels=[_channel(c) for c in row.channels.all()],
        footer_pages=[(title, reverse("page", args=[slug])) for title, slug in pages],
        footer_note=row.footer_note,
        platforms=[line.strip() for line in row.platforms.splitlines() if line.strip()],
        featured_ids=list(row.featured_services.values_list("id", flat=True)[:8]),
    )


def _channel(channel) -> Channel:
    try:
        url = channel_url(
            kind=channel.kind, value=channel.value, department_id=channel.department_id
        )
    except ValueError:
        url = ""
    return Channel(channel.title, channel.text, url, external=channel.kind != "ticket")


def panel_name() -> str:
    return current().name


# For text rendered outside a request (the admin's title, mails): the name at render time.
lazy_panel_name = lazy(panel_name, str)
