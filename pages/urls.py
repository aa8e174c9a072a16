from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import views
from .sitemaps import SITEMAPS

urlpatterns = [
    path("blog", views.blog, name="blog"),
    path("blog/<slug:slug>", views.post, name="post"),
    path("uploads/<path:name>", views.upload, name="upload"),
    path("robots.txt", views.robots, name="robots"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]

# Last of all the panel's URLs (panel/urls.py): a content page at /<slug>, e.g. /terms.
page_urlpatterns = [path("<slug:slug>", views.page, name="page")]
