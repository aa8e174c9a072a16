"""The Content Security Policy (django-csp): every page says scripts and styles come from our
own files only, and no page needs inline code, so the policy breaks nothing: no inline
<script>, <style>, style="" or on*= handler, neither in the templates nor in what the
customer, public and admin pages render (Django's own admin templates included)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import make_customer
from harness.pages import CUSTOMER, PUBLIC, admin_pages, named

pytestmark = pytest.mark.django_db

INLINE_IN_TEMPLATE = [
    re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>", re.I),
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"javascript:", re.I),
]


def project_templates() -> list[Path]:
    roots = [Path(settings.BASE_DIR) / "templates"]
    roots += [p for p in Path(settings.BASE_DIR).glob("*/templates") if ".venv" not in p.parts]
    return sorted(f for root in roots for f in root.rglob("*.html"))


class InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self.found.append(f"inline <script {attrs}>")
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs.items():
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:...>")


def inline_code(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


def test_no_template_carries_inline_code():
    templates = project_templates()
    assert len(templates) > 20
    offending = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0)}"
        for path in templates
        for pattern in INLINE_IN_TEMPLATE
        for match in pattern.finditer(path.read_text())
    ]
    assert offending == []


def test_the_scanner_finds_each_kind_of_inline_code():
    html = (
        "<script>alert(1)</script><style>p{}</style><p style='x'>a</p>"
        '<a onclick="x()" href="javascript:x()">b</a>'
        '<script type="application/json" id="d">{}</script><script src="/static/a.js"></script>'
    )
    assert len(inline_code(html)) == 5


def assert_policy_and_no_inline(response, url):
    assert response.status_code == 200, url
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'", url
    assert directives["style-src"] == "'self'", url
    assert directives["default-src"] == "'self'", url
    assert directives["frame-ancestors"] == "'none'", url
    assert inline_code(response.content.decode()) == [], url


def test_public_pages_have_the_policy_and_no_inline_code(client, service):
    urls = list(named(PUBLIC))
    assert len(urls) >= 5
    for url in urls:
        assert_policy_and_no_inline(client.get(url, follow=True), url)


def test_customer_pages_have_the_policy_and_no_inline_code(client, service):
    client.force_login(make_customer("carol", funds="10"))
    urls = list(named(CUSTOMER))
    assert len(urls) >= 10
    for url in urls:
        assert_policy_and_no_inline(client.get(url), url)


def test_admin_pages_have_the_policy_and_no_inline_code(sam_client, alice):
    provider = make_provider(name="Upstream One")
    make_service(make_upstream(provider, rate="2.50", name="Likes"))
    make_customer("dave", funds="5")
    urls = list(admin_pages(sam_client.user))
    assert len(urls) > 30
    for url in urls:
        assert_policy_and_no_inline(sam_client.get(url, follow=True), url)
