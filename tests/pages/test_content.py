"""Content pages and the blog: Markdown made safe, clean URLs, titles and social tags."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from pages.models import Page, Post

pytestmark = pytest.mark.django_db

HOSTILE = """# Hello

<script>alert("script")</script>

<img src="x" onerror="alert('onerror')">

[click me](javascript:alert('link'))

<a href="JaVaScRiPt:alert(1)" onclick="alert(2)">mixed case</a>

<iframe src="https://evil.example/"></iframe>

<p style="position:fixed">styled</p>

A [fine link](https://example.com/guide) and **bold** text.
"""


def publish(slug="hello", **fields) -> Post:
    defaults = {"title": "Hello world", "summary": "A first post", "body": "Some *text*."}
    return Post.objects.create(slug=slug, status=Post.Status.PUBLISHED, **{**defaults, **fields})


def test_a_post_with_script_onerror_and_javascript_links_is_rendered_inert(client):
    publish(body=HOSTILE)
    html = client.get("/blog/hello").content.decode()
    article = html[html.index("<article") : html.index("</article>")]
    assert "<script" not in article and 'alert("script")' not in article
    assert "onerror" not in article and "onclick" not in article
    assert "javascript:" not in article.lower()
    assert "<iframe" not in article and "style=" not in article
    assert '<a href="https://example.com/guide" rel="noopener noreferrer nofollow">' in article
    assert "<strong>bold</strong>" in article
    # The Markdown's top heading is demoted: the page's one h1 is the post's title.
    assert article.count("<h1") == 1 and '<h2 id="hello">Hello</h2>' in article


def test_content_pages_live_at_clean_urls_with_title_description_and_og_tags(client):
    response = client.get("/terms")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Terms of service · Boostly</title>" in html
    assert '<meta name="description" content="The terms of using Boostly.">' in html
    assert '<meta property="og:title" content="Terms of service">' in html
    assert '<meta property="og:url" content="http://testserver/terms">' in html
    assert '<link rel="canonical" href="http://testserver/terms">' in html
    for slug in ("privacy", "about", "faq", "refund-policy"):
        assert client.get(f"/{slug}").status_code == 200


def test_an_unpublished_page_and_an_unknown_one_are_not_found(client):
    Page.objects.filter(slug="faq").update(published=False)
    assert client.get("/faq").status_code == 404
    assert client.get("/no-such-page").status_code == 404


def test_a_page_cannot_take_a_path_the_panel_already_answers():
    for slug in ("services", "login", "blog", "orders", "support"):
        with pytest.raises(ValidationError):
            Page(title="x", slug=slug, body="x").full_clean()
    Page(title="Shipping", slug="shipping", body="x").full_clean()


def test_an_edited_page_shows_at_once(client):
    assert "Welcome to Boostly" in client.get("/terms").content.decode()
    page = Page.objects.get(slug="terms")
    page.body = "Entirely **new** terms."
    page.save()
    assert "Entirely <strong>new</strong> terms." in client.get("/terms").content.decode()


def test_the_blog_lists_published_posts_newest_first_and_hides_drafts(client):
    publish("older", title="Older post", published_at=timezone.now() - timedelta(days=2))
    publish("newer", title="Newer post", published_at=timezone.now() - timedelta(days=1))
    Post.objects.create(title="Draft post", slug="draft", body="x")
    publish("later", title="Scheduled post", published_at=timezone.now() + timedelta(days=1))

    html = client.get("/blog").content.decode()
    assert html.index("Newer post") < html.index("Older post")
    assert "Draft post" not in html and "Scheduled post" not in html
    assert client.get("/blog/draft").status_code == 404
    assert client.get("/blog/later").status_code == 404
    assert client.get("/blog/newer").status_code == 200


def test_a_post_has_article_og_tags_and_its_cover(client, settings, tmp_path):
    settings.PUBLIC_MEDIA_ROOT = tmp_path
    post = publish(cover_alt="A rocket")
    post.cover.save("cover.png", SimpleUploadedFile("cover.png", _png()), save=True)
    html = client.get("/blog/hello").content.decode()
    cover_url = f"/uploads/{post.cover.name}"
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:image" content="http://testserver{cover_url}">' in html
    assert '<meta property="og:description" content="A first post">' in html
    assert f'src="{cover_url}" alt="A rocket"' in html
    image = client.get(cover_url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert "immutable" in image["Cache-Control"]


def test_uploads_serve_only_files_in_use(client):
    draft = Post.objects.create(title="Draft", slug="draft", body="x", cover="post/secret.png")
    assert client.get(f"/uploads/{draft.cover.name}").status_code == 404
    for path in ("../../panel/settings.py", "post/../../var/panel.sqlite3", "nothing.png"):
        assert client.get(f"/uploads/{path}").status_code == 404


def test_sitemap_lists_the_published_pages_and_posts_not_the_drafts(client):
    publish("live-post")
    Post.objects.create(title="Draft", slug="draft-post", body="x")
    publish("future-post", published_at=timezone.now() + timedelta(hours=1))
    Page.objects.create(title="Hidden", slug="hidden", body="x", published=False)

    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    xml = response.content.decode()
    for path in ("/terms", "/privacy", "/faq", "/blog/live-post", "/services", "/blog"):
        assert f"{path}</loc>" in xml
    for path in ("/blog/draft-post", "/blog/future-post", "/hidden", "/support", "/admin"):
        assert f"{path}</loc>" not in xml


def test_robots_txt_keeps_crawlers_out_of_private_pages_and_names_the_sitemap(client):
    text = client.get("/robots.txt").content.decode()
    assert text.startswith("User-agent: *")
    for path in ("/admin/", "/api/", "/support/", "/orders"):
        assert f"Disallow: {path}" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_cached_blog_pages_live_only_until_the_next_scheduled_post():
    from pages.views import _timeout

    assert _timeout() == 3600
    publish("soon", published_at=timezone.now() + timedelta(minutes=10))
    assert 590 < _timeout() <= 600
    assert _timeout(60) == 60


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (32, 18), "navy").save(buffer, "PNG")
    return buffer.getvalue()
