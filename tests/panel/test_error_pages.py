"""The 404 and 500 pages are pages of the panel, not Django's bare text (issue 12, defect 9)."""

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error


@pytest.mark.django_db
def test_a_missing_page_is_the_panels_404_with_ways_on(alice_client):
    response = alice_client.get("/orders/987654321/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<h1 id="error-title">Page not found</h1>' in html
    assert 'href="/orders"' in html and 'class="topbar"' in html


@pytest.mark.django_db
def test_a_visitor_gets_the_404_with_the_public_links(client):
    html = client.get("/no/such/page/").content.decode()
    assert "Page not found" in html and 'href="/login"' in html


def test_the_500_page_stands_alone_with_the_panels_style():
    """Django renders 500.html without a request context: it needs nothing from one."""
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "/static/css/panel.css" in html
