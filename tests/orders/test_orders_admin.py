"""The orders admin through the admin client: lists, read-only pages, staff actions with their
intermediate form, and the counts at the top of the admin index."""

import copy
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import make_customer
from orders.models import CancelRequest, Order, OrderAction, Refill
from orders.models import OrderStatus as S

from .helpers import audit, failed_with_refund, placed_order, refunds

pytestmark = pytest.mark.django_db

ORDERS = "/admin/orders/order/"
REASON = "customer asked by email"


@pytest.fixture
def counts_on_index(settings):
    """The admin index counts come from a context processor (orders.admin_counts.admin_index);
    install it here in case settings do not list it yet."""
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    if "orders.admin_counts.admin_index" not in processors:
        processors.append("orders.admin_counts.admin_index")
    settings.TEMPLATES = templates


def run_action(client, action, orders, *, apply=True, query="", **inputs):
    data = {"action": f"{action}_action", "_selected_action": [o.pk for o in orders]}
    if apply:
        data["apply"] = "1"
    return client.post(f"{ORDERS}{query}", {**data, **inputs}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def listed(client, query: str = "") -> list[int]:
    response = client.get(f"{ORDERS}?{query}")
    assert response.status_code == 200
    return [order.pk for order in response.context["cl"].result_list]


# --- access -------------------------------------------------------------------------------------


def test_customers_and_staff_without_permission_get_no_access(
    client, alice_with_100, service, provider
):
    order = placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)
    pages = [
        ORDERS,
        f"{ORDERS}{order.pk}/change/",
        f"{ORDERS}{order.pk}/staff/cancel_with_refund/",
        "/admin/orders/orderaction/",
    ]
    for url in pages:
        assert client.get(url).status_code == 302  # anonymous: to the admin login

    client.force_login(alice_with_100)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(f"{ORDERS}{order.pk}/staff/cancel_with_refund/", {"reason": "x"})
    assert response.status_code == 302

    clerk = make_customer("clerk")
    clerk.is_staff = True
    clerk.save(update_fields=["is_staff"])
    client.force_login(clerk)
    assert client.get(ORDERS).status_code == 403
    response = client.post(f"{ORDERS}{order.pk}/staff/cancel_with_refund/", {"reason": "x"})
    assert response.status_code == 403

    # View-only staff see orders but get no action and no button.
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    assert client.get(ORDERS).status_code == 200
    assert "cancel_with_refund_action" not in client.get(ORDERS).content.decode()
    page = client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert "staff/cancel_with_refund/" not in page
    response = client.post(f"{ORDERS}{order.pk}/staff/cancel_with_refund/", {"reason": "x"})
    assert response.status_code == 403

    order.refresh_from_db()
    assert order.status == S.UNKNOWN
    assert audit(order) == []


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_the_columns_staff_need(sam_client, alice_with_100, service, provider):
    order = placed_order(
        alice_with_100,
        service,
        S.UNKNOWN,
        provider=provider,
        link="https://instagram.com/" + "p" * 80,
        flag="read timeout after send (outcome unknown: not resent)",
    )

    page = sam_client.get(ORDERS).content.decode()

    for text in [
        f">{order.pk}<", "alice", f"#{service.pk} Instagram Followers HQ", "Fastfollow",
        "Needs review", "read timeout after send", str(order.charge),
    ]:  # fmt: skip
        assert text in page
    assert f'title="https://instagram.com/{"p" * 80}"' in page  # truncated, full in the title
    assert f"?customer={alice_with_100.pk}" in page and f"?service={service.pk}" in page


def test_the_list_filters_by_status_provider_customer_service_date_and_stuck(
    sam_client, alice_with_100, bob_with_100, service, provider
):
    other_provider = make_provider()
    other_service = make_service(make_upstream(other_provider, name="TikTok Views"))
    unknown = placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)
    held = placed_order(bob_with_100, other_service, S.HELD, provider=other_provider)
    old = timezone.now() - timedelta(minutes=11)
    stuck_pending = placed_order(bob_with_100, service, S.PENDING, updated_at=old)
    fresh_pending = placed_order(alice_with_100, service, S.PENDING)
    stuck_sending = placed_order(
        alice_with_100,
        service,
        S.SENDING,
        provider=provider,
        updated_at=timezone.now() - timedelta(minutes=6),
    )
    last_year = timezone.now() - timedelta(days=400)
    Order.objects.filter(pk=held.pk).update(created_at=last_year)

    assert listed(sam_client, "status__exact=unknown") == [unknown.pk]
    assert listed(sam_client, f"provider__id__exact={other_provider.pk}") == [held.pk]
    assert listed(sam_client, f"customer={bob_with_100.pk}") == [stuck_pending.pk, held.pk]
    assert listed(sam_client, f"service={other_service.pk}") == [held.pk]
    assert listed(sam_client, "stuck=yes") == [stuck_sending.pk, stuck_pending.pk]
    since = urlencode({"created_at__gte": str(timezone.now() - timedelta(days=7))})
    assert held.pk not in listed(sam_client, since)
    assert fresh_pending.pk in listed(sam_client, since)
    assert listed(sam_client, "customer=abc") == []


def test_the_list_takes_a_constant_number_of_queries(
    sam_client, alice_with_100, bob_with_100, service, provider
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert sam_client.get(ORDERS).status_code == 200
        return len(captured)

    placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)
    one = queries()
    for n in range(10):
        placed_order(
            bob_with_100 if n % 2 else alice_with_100,
            service,
            S.IN_PROGRESS,
            provider=make_provider(),
        )

    assert queries() == one


def test_search_is_exact_on_ids_and_contains_on_links(
    sam_client, alice_with_100, service, provider
):
    orders = [
        placed_order(alice_with_100, service, link=f"https://x.test/post-{n}") for n in range(12)
    ]
    first, eleventh = orders[0], orders[10]
    Order.objects.filter(pk=eleventh.pk).update(
        status=S.IN_PROGRESS, provider=provider, upstream_order_id="A-77"
    )
    sent = placed_order(
        alice_with_100, service, S.IN_PROGRESS, provider=provider, upstream_id=str(first.pk)
    )

    assert listed(sam_client, f"q={first.pk}") == [sent.pk, first.pk]  # its id, an upstream id
    assert listed(sam_client, f"q=%23{eleventh.pk}") == [eleventh.pk]
    assert listed(sam_client, "q=A-77") == [eleventh.pk]
    assert listed(sam_client, "q=post-11") == [orders[11].pk]


# --- the order page -----------------------------------------------------------------------------


def test_the_order_page_is_read_only_and_shows_ledger_and_staff_actions(
    sam_client, alice_with_100, service, provider
):
    order = placed_order(
        alice_with_100, service, S.IN_PROGRESS, provider=provider, upstream_id="900"
    )
    sam_client.post(
        f"{ORDERS}{order.pk}/staff/set_partial/", {"remains": "100", "reason": "half arrived"}
    )
    url = f"{ORDERS}{order.pk}/change/"

    page = sam_client.get(url).content.decode()

    assert 'name="_save"' not in page and 'name="charge"' not in page
    assert "Order charge" in page and "Refund" in page  # ledger rows
    assert "half arrived" in page and "set_partial" in page  # the audit row
    sam_client.post(url, {"status": "completed", "charge": "0", "refunded": "999"})
    order.refresh_from_db()
    assert (order.status, order.refunded) == (S.PARTIAL, order.charge / 10)
    assert sam_client.get(f"{ORDERS}add/").status_code == 403
    assert sam_client.post(f"{ORDERS}{order.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        (S.UNKNOWN, {"attach_upstream_id", "confirm_not_created_and_resend",
                     "cancel_with_refund", "set_partial"}),
        (S.HELD, {"resend", "cancel_with_refund", "edit_link"}),
        (S.PENDING, {"cancel_with_refund", "edit_link"}),
        (S.IN_PROGRESS, {"cancel_with_refund", "set_partial"}),
        (S.COMPLETED, set()),
    ],
)  # fmt: skip
def test_the_order_page_offers_the_actions_that_apply(
    sam_client, alice_with_100, service, provider, status, buttons
):
    order = placed_order(alice_with_100, service, status, provider=provider)

    page = sam_client.get(f"{ORDERS}{order.pk}/change/").content.decode()

    offered = {name for name in staff_names() if f"/staff/{name}/" in page}
    assert offered == buttons


def staff_names():
    from orders.staff import ALLOWED_FROM

    return ALLOWED_FROM.keys()


def test_a_button_asks_for_the_reason_then_acts_once(sam_client, alice_with_100, service, provider):
    order = placed_order(alice_with_100, service, S.PENDING, link="https://x.test/typo")
    url = f"{ORDERS}{order.pk}/staff/edit_link/"

    form = sam_client.get(url)
    assert form.status_code == 200
    assert 'name="link"' in form.content.decode() and 'name="reason"' in form.content.decode()
    refused = sam_client.post(url, {"link": "notalink", "reason": REASON})
    assert "must start with http" in refused.content.decode()
    done = sam_client.post(url, {"link": "https://x.test/right", "reason": REASON})

    assert done.status_code == 302 and done["Location"] == f"{ORDERS}{order.pk}/change/"
    order.refresh_from_db()
    assert order.link == "https://x.test/right"
    assert audit(order) == [("sam", "edit_link", REASON)]
    assert sam_client.get(f"{ORDERS}{order.pk}/staff/nope/").status_code == 404


# --- actions from the list ----------------------------------------------------------------------


def test_an_action_first_asks_for_the_reason_and_changes_nothing(
    sam_client, alice_with_100, service, provider
):
    order = placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider)

    response = run_action(sam_client, "cancel_with_refund", [order], apply=False)

    assert "admin/orders/order/staff_action.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert 'name="reason"' in page and 'value="cancel_with_refund_action"' in page
    assert Order.objects.get(pk=order.pk).status == S.IN_PROGRESS
    assert (refunds(order), audit(order)) == ([], [])


def test_the_reason_page_carries_the_selection_back(sam_client, alice_with_100, service, provider):
    import re

    orders = [
        placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider) for _ in range(2)
    ]
    page = run_action(sam_client, "cancel_with_refund", orders, apply=False).content.decode()

    from panel.templatetags.panel import money

    assert f"<td>{money(orders[0].charge)} USD</td>" in page  # money as staff read it elsewhere
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    fields: dict[str, list[str]] = {}
    for name, value in hidden:
        fields.setdefault(name, []).append(value)
    assert sorted(fields["_selected_action"]) == sorted(str(o.pk) for o in orders)
    assert fields["action"] == ["cancel_with_refund_action"]
    response = sam_client.post(ORDERS, {**fields, "apply": "1", "reason": REASON}, follow=True)

    assert messages_of(response)[0].startswith("2 orders canceled and refunded")
    assert all(refunds(o) == [o.charge] for o in orders)


def test_a_blank_reason_shows_the_form_again(sam_client, alice_with_100, service, provider):
    order = placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider)

    response = run_action(sam_client, "cancel_with_refund", [order], reason="   ")

    assert "This field is required" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.IN_PROGRESS
    assert (refunds(order), audit(order)) == ([], [])


def test_cancel_action_refunds_once_and_reports_changed_and_skipped(
    sam_client, alice_with_100, service, provider
):
    active = placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider)
    done = placed_order(alice_with_100, service, S.COMPLETED, provider=provider)

    first = run_action(sam_client, "cancel_with_refund", [active, done], reason=REASON)
    second = run_action(sam_client, "cancel_with_refund", [active], reason=REASON)

    assert messages_of(first) == [
        "1 order canceled and refunded. 1 skipped: not in a status this applies to any more, "
        "or already done."
    ]
    assert messages_of(second)[0].startswith("0 orders canceled and refunded. 1 skipped")
    assert refunds(active) == [active.charge] and refunds(done) == []
    assert audit(active) == [("sam", "cancel_with_refund", REASON)]
    assert Order.objects.get(pk=done.pk).status == S.COMPLETED


def test_attach_action_takes_the_id_and_shows_a_duplicate_as_a_form_error(
    sam_client, alice_with_100, service, provider
):
    placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider, upstream_id="4242")
    order = placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)

    refused = run_action(
        sam_client, "attach_upstream_id", [order], upstream_id="4242", reason=REASON
    )
    assert "already attached to order" in refused.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.UNKNOWN

    done = run_action(sam_client, "attach_upstream_id", [order], upstream_id="4243", reason=REASON)
    assert messages_of(done) == ["1 order attached to their provider's order."]
    order.refresh_from_db()
    assert (order.status, order.upstream_order_id) == (S.IN_PROGRESS, "4243")


def test_actions_for_one_order_refuse_a_selection_of_several(
    sam_client, alice_with_100, service, provider
):
    orders = [
        placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider) for _ in range(2)
    ]

    response = run_action(sam_client, "set_partial", orders, remains="10", reason=REASON)

    assert messages_of(response) == ["Set partial: select exactly one order."]
    assert all(
        o.status == S.IN_PROGRESS for o in Order.objects.filter(pk__in=[o.pk for o in orders])
    )


def test_set_partial_action_refunds_the_undelivered_part(
    sam_client, alice_with_100, service, provider
):
    order = placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider)

    too_many = run_action(sam_client, "set_partial", [order], remains="5000", reason=REASON)
    assert "Remains must be between 0 and 1,000" in too_many.content.decode()
    done = run_action(sam_client, "set_partial", [order], remains="500", reason=REASON)

    assert messages_of(done) == ["1 order set partial."]
    assert refunds(order) == [order.charge / 2]


def test_resend_action_explains_why_a_refunded_failure_is_not_resent(
    sam_client, alice_with_100, service, provider
):
    order = failed_with_refund(alice_with_100, service, provider)

    response = run_action(sam_client, "resend", [order], reason=REASON)

    assert "Ask the customer to place a new order" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.FAILED
    assert audit(order) == []


def test_resend_and_confirm_actions_send_again(
    sam_client, alice_with_100, service, provider, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("orders.staff.enqueue_forwarding", sent.append)
    held = placed_order(alice_with_100, service, S.HELD, provider=provider)
    unknown = placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)
    refunded = failed_with_refund(alice_with_100, service, provider)

    with django_capture_on_commit_callbacks(execute=True):
        resent = run_action(sam_client, "resend", [held, refunded], reason=REASON)
        confirmed = run_action(
            sam_client, "confirm_not_created_and_resend", [unknown], reason=REASON
        )

    assert messages_of(resent)[0].startswith("1 order sent again. 1 skipped")
    assert (
        f"#{refunded.pk}: Order #{refunded.pk} failed and its charge was refunded"
        in (messages_of(resent)[1])
    )
    assert messages_of(confirmed) == ["1 order sent again."]
    assert sorted(sent) == sorted([held.pk, unknown.pk])


# --- the admin index ----------------------------------------------------------------------------


def test_the_admin_index_counts_orders_that_need_staff(
    counts_on_index, sam_client, alice_with_100, service, provider
):
    old = timezone.now() - timedelta(minutes=30)
    for _ in range(2):
        placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)
    for _ in range(3):
        placed_order(alice_with_100, service, S.HELD, provider=provider)
    placed_order(alice_with_100, service, S.PENDING, updated_at=old)
    placed_order(alice_with_100, service, S.SENDING, provider=provider, updated_at=old)
    placed_order(alice_with_100, service, S.PENDING)  # fresh: not stuck
    placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider, updated_at=old)

    page = sam_client.get("/admin/").content.decode()

    assert '<td id="alert-unknown"><strong class="alerting">2</strong>' in page
    assert '<td id="alert-held"><strong class="alerting">3</strong>' in page
    assert '<td id="alert-stuck"><strong class="alerting">2</strong>' in page
    assert f'href="{ORDERS}?status__exact=unknown"' in page
    assert f'href="{ORDERS}?status__exact=held"' in page
    assert f'href="{ORDERS}?stuck=yes"' in page
    assert page.index('id="order-alerts"') < page.index('id="content-main"')


def test_the_admin_index_counts_in_a_constant_number_of_queries(
    counts_on_index, sam_client, alice_with_100, service, provider
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert sam_client.get("/admin/").status_code == 200
        return len(captured)

    placed_order(alice_with_100, service, S.UNKNOWN, provider=provider)
    few = queries()
    for status in [S.UNKNOWN, S.HELD, S.PENDING, S.SENDING] * 5:
        placed_order(alice_with_100, service, status, provider=provider)

    assert queries() == few


def test_only_the_admin_index_counts(counts_on_index, client, sam_client, alice_with_100, service):
    page = sam_client.get(ORDERS).content.decode()
    assert 'id="order-alerts"' not in page
    assert "order_alerts" not in sam_client.get(ORDERS).context


# --- read-only lists ----------------------------------------------------------------------------


def test_audit_refill_and_cancel_lists_are_read_only_and_filter_by_status(
    sam_client, alice_with_100, service, provider
):
    order = placed_order(alice_with_100, service, S.IN_PROGRESS, provider=provider, upstream_id="1")
    sam_client.post(f"{ORDERS}{order.pk}/staff/cancel_with_refund/", {"reason": REASON})
    done = placed_order(alice_with_100, service, S.COMPLETED, provider=provider, upstream_id="2")
    refill = Refill.objects.create(
        order=done, user=alice_with_100, status="rejected", error="no drop"
    )
    cancel = CancelRequest.objects.create(order=done, user=alice_with_100, status="failed")
    action = OrderAction.objects.get()

    for url, row, status in [
        ("/admin/orders/orderaction/", action, None),
        ("/admin/orders/refill/", refill, "rejected"),
        ("/admin/orders/cancelrequest/", cancel, "failed"),
    ]:
        listing = sam_client.get(url)
        assert listing.status_code == 200
        assert [r.pk for r in listing.context["cl"].result_list] == [row.pk]
        assert f"{url}add/" not in listing.content.decode()
        detail = sam_client.get(f"{url}{row.pk}/change/").content.decode()
        assert 'name="_save"' not in detail
        if status:
            assert sam_client.get(f"{url}?status__exact={status}").status_code == 200
            other = sam_client.get(f"{url}?status__exact=pending").context["cl"].result_list
            assert list(other) == []
    assert Decimal(refunds(order)[0]) == order.charge
