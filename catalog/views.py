"""The public services page: categories collapsed, rows on demand, search over everything.

The page, each category's rows and search results are plain server-rendered HTML, so the page
works without JavaScript (static/js/services.js only fetches the same fragments in place).
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods

from pages.cache import cached, catalog_timeout
from pages.site import current as current_site

from .listing import SEARCH_LIMIT, category_rows, category_summaries, render_rows, search
from .updates import WINDOW, recent_updates


@gzip_page
@require_http_methods(["GET", "HEAD"])
def services(request: HttpRequest) -> HttpResponse:
    """Every category with its count and lowest rate; `?category=` opens one, `?q=` searches."""
    query = _query(request)
    if query:
        return render(request, "catalog/services.html", _search_context(request, query))
    summaries = cached(
        "services:summaries", category_summaries, scopes=("catalog",), timeout=catalog_timeout()
    )
    opened = _int(request.GET.get("category"))
    if opened not in {s.id for s in summaries}:
        opened = None
    context = {
        "summaries": summaries,
        "count": sum(s.count for s in summaries),
        "categories_html": _categories(summaries, opened),
    }
    return render(request, "catalog/services.html", context)


@gzip_page
@require_http_methods(["GET", "HEAD"])
def services_category(request: HttpRequest, category_id: int) -> HttpResponse:
    """One category's rows as an HTML fragment (opened on the page by services.js)."""
    summaries = cached(
        "services:summaries", category_summaries, scopes=("catalog",), timeout=catalog_timeout()
    )
    if category_id not in {s.id for s in summaries}:
        raise Http404("No such category on sale.")
    return HttpResponse(_category_table(category_id))


@gzip_page
@require_http_methods(["GET", "HEAD"])
def services_search(request: HttpRequest) -> HttpResponse:
    """Search results as an HTML fragment (live search in services.js)."""
    context = _search_context(request, _query(request))
    return render(request, "catalog/_search_results.html", context)


def _categories(summaries, opened: int | None) -> str:
    """The collapsed categories (one opened without JavaScript: `?category=`)."""

    def build() -> str:
        context = {
            "summaries": summaries,
            "opened": opened,
            "opened_rows": _category_table(opened) if opened else "",
            "panel_site": current_site(),
        }
        return render_to_string("catalog/_categories.html", context)

    return cached(f"services:categories:{opened or 0}", build, timeout=catalog_timeout())


def _category_table(category_id: int) -> str:
    def build() -> str:
        rows = render_rows(category_rows(category_id), currency=current_site().currency)
        return render_to_string("catalog/_services_table.html", {"rows_html": rows})

    return cached(f"services:category:{category_id}", build, timeout=catalog_timeout())


def _search_context(request: HttpRequest, query: str) -> dict:
    page = max(_int(request.GET.get("page")) or 1, 1)
    groups, total = search(query, page=page)
    currency = current_site().currency
    tables = [(category, render_rows(rows, currency=currency)) for category, rows in groups]
    return {
        "query": query,
        "results": tables,
        "total": total,
        "page": page,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page * SEARCH_LIMIT < total else None,
        "first": (page - 1) * SEARCH_LIMIT + 1,
        "last": min(page * SEARCH_LIMIT, total),
    }


def _query(request: HttpRequest) -> str:
    # Printable text only: PostgreSQL refuses NUL bytes, and no service name has control chars.
    return "".join(ch for ch in request.GET.get("q", "")[:200] if ch.isprintable()).strip()


def _int(text: str | None) -> int | None:
    if text and text.isascii() and text.isdigit() and len(text) < 10:
        return int(text)
    return None


@login_required
@require_http_methods(["GET", "HEAD"])
def updates(request: HttpRequest) -> HttpResponse:
    """Recent changes of the catalog: new services, prices up and down, disabled services."""
    return render(
        request,
        "catalog/updates.html",
        {"updates": recent_updates(), "days": WINDOW.days, "currency": current_site().currency},
    )
