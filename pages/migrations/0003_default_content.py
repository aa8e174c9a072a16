"""The public site a new panel starts with, as on the seed page: its name (PANEL_NAME), a
tagline, four selling points, the two support channels, the platforms, and the content pages
(Terms, Privacy, About, FAQ, Refund policy) for admins to rewrite."""

from django.conf import settings
from django.db import migrations

POINTS = [
    ("Fast delivery", "Most orders start within minutes and run around the clock."),
    ("Cheapest rates", "Wholesale prices from the biggest providers, with a small margin."),
    ("Secure platform", "Your balance and orders are kept safe; we never ask for passwords."),
    ("Worldwide service", "Audiences from every region, for every major platform."),
]
PLATFORMS = "Instagram\nYouTube\nTikTok\nTelegram\nFacebook\nTwitter\nSpotify\nTwitch"

TERMS = """Welcome to {name}. By creating an account or placing an order you agree to these terms.

## The service

{name} resells social media marketing services (followers, likes, views, comments and more)
delivered by third-party providers. Delivery times shown are estimates, not guarantees.

## Your account

- Keep your password and API key secret; you are responsible for orders placed with them.
- One person or business per account. We may close accounts used for fraud or abuse.

## Orders

- Check the link before you order: an order sent to the wrong or a private link cannot be
  undone.
- Do not place two orders for the same link at the same time in the same service.
- Prices may change at any time; an order is charged at the price shown when you placed it.

## Funds

Funds added to your balance are used for orders and are not withdrawable, except as our
[refund policy](/refund-policy) says.

## Liability

Social networks change their rules; we are not liable for actions they take on your account.
"""

PRIVACY = """This page says what {name} keeps about you and why.

## What we keep

- Your username, e-mail address and password (stored only as a salted hash).
- Your orders, payments, balance history and support tickets.
- The address your requests come from, to stop abuse of logins and of the API.

## What we do with it

We use it to run your orders, keep your balance, answer your tickets and keep the panel safe.
We never sell it. Links you order for are sent to the providers who deliver the service.

## Your choices

Write to support to get a copy of your data or to have your account closed.
"""

ABOUT = """{name} is a social media marketing panel: one place to buy followers, likes, views
and comments for Instagram, YouTube, TikTok, Telegram and more, at wholesale prices.

Orders start automatically, their progress is shown live, and refills and cancels are one
click away where the service offers them. Resellers use the same catalog through our API.
"""

FAQ = """## How do I place an order?

Sign up, add funds, choose a service on the [services page](/services), enter your link and the
quantity, and confirm.

## How long does an order take?

Most orders start within minutes; each service's description says its usual speed.

## What if an order is only partly delivered?

The undelivered part is refunded to your balance automatically.

## What is a refill?

Services marked *Refill* top up drops for free within the refill period.

## How do I get help?

Open a support ticket from your account, or use “Need help with this order?” next to any order.
"""

REFUND = """## Orders

- An order that fails is refunded in full to your balance.
- An order that is canceled or delivered only in part is refunded for what was not delivered.
- A completed order is not refunded; drops are covered by refills where the service has them.

## Balance

Funds added to your balance can be refunded to the original payment method when no order has
used them, on request through a support ticket in the **Payments** department.
"""

PAGES = [
    ("Terms of service", "terms", "The terms of using {name}.", TERMS, 0),
    ("Privacy policy", "privacy", "What {name} keeps about you and why.", PRIVACY, 1),
    ("Refund policy", "refund-policy", "When and how {name} refunds.", REFUND, 2),
    ("About us", "about", "Who we are and what {name} does.", ABOUT, 3),
    ("FAQ", "faq", "Answers to common questions about {name}.", FAQ, 4),
]


def create(apps, schema_editor):
    SiteSettings = apps.get_model("pages", "SiteSettings")
    Page = apps.get_model("pages", "Page")
    Department = apps.get_model("support", "Department")
    name = settings.PANEL_NAME
    site, created = SiteSettings.objects.get_or_create(
        pk=1,
        defaults={
            "name": name,
            "tagline": "Grow on Instagram, YouTube, TikTok and more, at wholesale prices",
            "intro": f"{name} is a trusted SMM panel: followers, likes, views and comments for "
            "every major platform, delivered fast, with live order tracking and an API for "
            "resellers.",
            "platforms": PLATFORMS,
            "footer_note": "All Rights Reserved.",
        },
    )
    if created:
        for position, (title, text) in enumerate(POINTS):
            site.selling_points.create(title=title, text=text, position=position)
        channels = [
            ("Admin support", "Payment related queries only", "Payments"),
            ("Customer support", "Orders / account help", "Orders & account"),
        ]
        for position, (title, text, department) in enumerate(channels):
            site.channels.create(
                title=title,
                text=text,
                kind="ticket",
                department=Department.objects.filter(name=department).first(),
                position=position,
            )
    for title, slug, description, body, position in PAGES:
        Page.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "meta_description": description.format(name=name),
                "body": body.format(name=name),
                "position": position,
                "in_footer": slug in ("terms", "privacy", "refund-policy", "faq", "about"),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("pages", "0002_initial"), ("support", "0002_departments")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
