"""sitemap.xml (Django's sitemaps framework): the public pages, published content pages and
published posts; never drafts, scheduled posts or anything behind a login."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Page, Post


class PublicSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self) -> list[str]:
        return ["dashboard", "services", "blog"]  # "/" is the landing page for visitors

    def location(self, item: str) -> str:
        return reverse(item)


class PageSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return Page.objects.filter(published=True).order_by("position", "id")

    def lastmod(self, item: Page):
        return item.updated_at


class PostSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Post.objects.published().order_by("-published_at", "-id")

    def lastmod(self, item: Post):
        return item.updated_at


SITEMAPS = {"public": PublicSitemap, "pages": PageSitemap, "posts": PostSitemap}
