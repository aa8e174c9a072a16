from django.shortcuts import render
from django.views.decorators.gzip import gzip_page

from .listing import render_service_rows, service_listing


@gzip_page  # 5,000 services make about 2.5 MB of HTML; gzip sends about a tenth
def services(request):
    """The public price list: every service on sale, grouped by category, searchable."""
    # Printable text only: PostgreSQL refuses NUL bytes, and no service name has control chars.
    query = "".join(ch for ch in request.GET.get("q", "")[:200] if ch.isprintable()).strip()
    groups = service_listing(query=query)
    return render(
        request,
        "catalog/services.html",
        {
            "query": query,
            "categories": [(category_id, name) for category_id, name, _ in groups],
            "rows_html": render_service_rows(groups),
            "count": sum(len(rows) for _, _, rows in groups),
        },
    )
