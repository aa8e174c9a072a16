"""Markdown written by admins, rendered and then sanitized (nh3): whatever the text holds, a
<script>, an event handler or a javascript: link never reaches a visitor's browser."""

import markdown as md
import nh3

TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "img", "li", "ol", "p", "pre", "span", "strong",
    "summary", "sup", "sub", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "td": {"align"},
    "th": {"align"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists", "toc"]


def render_markdown(text: str) -> str:
    """Safe HTML from Markdown. Headings start at h2: the page's title is its one h1."""
    html = md.markdown(text, extensions=EXTENSIONS, output_format="html")
    html = _demote_h1(html)
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _demote_h1(html: str) -> str:
    return html.replace("<h1", "<h2").replace("</h1>", "</h2>")
