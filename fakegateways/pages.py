"""Replies of the fakes: JSON, redirects, and the two small HTML pages (checkout, post-back)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(data, status: int = 200) -> Reply:
    return Reply(status, "application/json", json.dumps(data).encode())


def redirect(url: str) -> Reply:
    return Reply(303, "text/plain", b"", {"Location": url})


STYLE = """body{font-family:system-ui,sans-serif;background:#f4f5f9;margin:0;display:grid;
place-items:center;min-height:100vh}main{background:#fff;border-radius:12px;padding:2rem;
box-shadow:0 2px 12px #0002;max-width:22rem;width:90%;text-align:center}
.amount{font-size:2rem;font-weight:700;margin:.5rem 0 1.5rem}form{display:inline}
button{font-size:1rem;padding:.7rem 1.6rem;border-radius:8px;border:0;margin:.3rem;cursor:pointer}
#pay{background:#16a34a;color:#fff}#fail{background:#e5e7eb}small{color:#6b7280}"""


def checkout_page(*, title: str, amount: str, merchant: str, action: str) -> Reply:
    a = escape(action)
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title>
<style>{STYLE}</style></head><body><main><h1>{escape(title)}</h1>
<p>{escape(merchant)}</p><p class="amount" id="amount">{escape(amount)}</p>
<form method="post" action="{a}/pay"><button id="pay" type="submit">Pay</button></form>
<form method="post" action="{a}/fail"><button id="fail" type="submit">Fail</button></form>
<p><small>A local fake gateway: no money moves.</small></p></main></body></html>"""
    return Reply(200, "text/html; charset=utf-8", html.encode())


def post_back_page(url: str, fields: dict[str, str]) -> Reply:
    """Razorpay's hosted checkout returns by posting a form to the merchant's callback."""
    inputs = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Returning…</title>
<style>{STYLE}</style></head><body><main><form id="back" method="post" action="{escape(url)}">
{inputs}<button id="return" type="submit">Return to the merchant</button></form></main>
<script>document.getElementById("back").submit()</script></body></html>"""
    return Reply(200, "text/html; charset=utf-8", html.encode())
