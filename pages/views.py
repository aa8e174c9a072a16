"""The public pages: landing, content pages, the blog, uploads, robots.txt.

Each page's content is a cached fragment (pages/cache.py); the page around it (navigation with
the visitor's balance, messages) is rendered per request, so a cached page never shows one
visitor's details to another.
"""

import mimetypes
from datetime import timedelta

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods

from catalog.listing import category_summaries

from .cache import cached, catalog_timeout
from .landing import featured_services, platforms
from .markdown import render_markdown
from .models import Page, Post, SiteSettings, public_storage
from .site import current

POSTS_PER_PAGE = 10


@gzip_page
def landing(request: HttpRequest) -> HttpResponse:
    """The visitors' front page (a logged-in customer at / gets the dashboard instead)."""
    site = current()

    def build() -> str:
        context = {
            "panel_site": site,
            "platforms": platforms(site.platforms, category_summaries()),
            "featured": featured_services(site.featured_ids),
            "latest_posts": list(Post.objects.published().only("title", "slug", "summary")[:3]),
        }
        return render_to_string("pages/_landing.html", context)

    body = cached("landing", build, timeout=lambda: _timeout(catalog_timeout()))
    return render(request, "pages/landing.html", {"body": body})


@gzip_page
@require_http_methods(["GET", "HEAD"])
def page(request: HttpRequest, slug: str) -> HttpResponse:
    found = cached(f"page:{slug}", lambda: _page_content(slug), scopes=("site",))
    return render(request, "pages/page.html", found)


def _page_content(slug: str) -> dict:
    row = Page.objects.filter(slug=slug, published=True).first()
    if row is None:  # not cached: any path may be asked for
        raise Http404("No such page.")
    return {
        "title": row.title,
        "description": row.meta_description,
        "body": render_markdown(row.body),
        "updated_at": row.updated_at,
    }


@gzip_page
@require_http_methods(["GET", "HEAD"])
def blog(request: HttpRequest) -> HttpResponse:
    number = request.GET.get("page", "1")
    number = int(number) if number.isascii() and number.isdigit() and len(number) < 6 else 1

    def build() -> dict:
        posts = Post.objects.published().only(
            "title", "slug", "summary", "cover", "cover_alt", "published_at"
        )
        page_obj = Paginator(posts, POSTS_PER_PAGE).get_page(number)
        return {
            "posts": list(page_obj.object_list),
            "number": page_obj.number,
            "pages": page_obj.paginator.num_pages,
        }

    context = cached(f"blog:{number}", build, scopes=("site",), timeout=_timeout)
    return render(request, "pages/blog.html", context)


@gzip_page
@require_http_methods(["GET", "HEAD"])
def post(request: HttpRequest, slug: str) -> HttpResponse:
    found = cached(f"post:{slug}", lambda: _post_content(slug), scopes=("site",), timeout=_timeout)
    return render(request, "pages/post.html", found)


def _post_content(slug: str) -> dict:
    row = Post.objects.published().filter(slug=slug).first()
    if row is None:
        raise Http404("No such post.")
    return {
        "post": row,
        "body": render_markdown(row.body),
        "cover_url": reverse("upload", args=[row.cover.name]) if row.cover else "",
    }


def _timeout(limit: float = 3600) -> float:
    """Until the next scheduled post goes live (it must appear then), at most `limit` s."""
    upcoming = (
        Post.objects.filter(status=Post.Status.PUBLISHED, published_at__gt=timezone.now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    if upcoming is None:
        return limit
    return max(1.0, min(limit, (upcoming - timezone.now()) / timedelta(seconds=1)))


@require_http_methods(["GET", "HEAD"])
@cache_control(public=True, max_age=31_536_000, immutable=True)
def upload(request: HttpRequest, name: str) -> FileResponse:
    """A public image (the logo, a published post's cover). Names are fresh per upload
    (pages.models.upload_path), so they are cached for good. Nothing else is served."""
    in_use = (
        SiteSettings.objects.filter(logo=name).exists()
        or Post.objects.published().filter(Q(cover=name)).exists()
    )
    if not in_use or not public_storage.exists(name):
        raise Http404("No such file.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        raise Http404("No such file.")
    response = FileResponse(public_storage.open(name), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "HEAD"])
def robots(request: HttpRequest) -> HttpResponse:
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in PRIVATE_PATHS),
        "",
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


# What a crawler has no business in: the admin, the API, the customer's own pages.
PRIVATE_PATHS = (
    "/admin/", "/api/", "/support/", "/order/", "/orders", "/refills", "/funds",
    "/transactions", "/account", "/password-reset", "/services/search", "/updates",
)  # fmt: skip
