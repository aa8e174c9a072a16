"""Cancels: an order that never left the panel is canceled at once with a full refund; one in
progress becomes a cancel request, sent upstream by a worker (upstream_requests.py). The order
poller settles it when the upstream turns it Canceled or Partial (settlement.py closes the
request then)."""

from accounts.models import User
from catalog.upstream import ItemError

from .models import CancelRequest, Order, OrderStatus, RequestStatus
from .settlement import settle
from .states import CANCELS
from .upstream_requests import RequestRefused, claim, customer_order, record, record_failure

CANCELABLE_LOCALLY = (OrderStatus.PENDING, OrderStatus.HELD)  # never sent: no upstream to ask


def request_cancel(*, user: User, order_id: object) -> Order | CancelRequest:
    """Cancel the customer's order: at once with a full refund if it never left the panel,
    else by asking the upstream (the poller settles it when the order turns Canceled)."""
    order = customer_order(user, order_id)
    if not order.service.cancel:
        raise RequestRefused("Order not eligible for cancel")
    if order.status in CANCELABLE_LOCALLY and settle(
        order,
        status=OrderStatus.CANCELED,
        refund=order.charge,
        expected=CANCELABLE_LOCALLY,
        memo=f"Order #{order.pk} canceled before it was sent",
    ):
        return order
    if order.status != OrderStatus.IN_PROGRESS:
        raise RequestRefused("Order not eligible for cancel")
    return record(CancelRequest, order=order, user=user, refused="Order not eligible for cancel")


def forward_cancel(cancel_id: int) -> str:
    cancel = CancelRequest.objects.select_related("order__provider").filter(pk=cancel_id).first()
    if cancel is None or not claim(CancelRequest, cancel_id):
        return "not pending"
    order = cancel.order
    try:
        answer = (
            order.provider.client().cancel([order.upstream_order_id]).get(order.upstream_order_id)
        )
    except Exception as exc:  # UpstreamError, or an answer our code could not handle
        return record_failure(cancel, exc)
    if isinstance(answer, ItemError):
        status, error = RequestStatus.REJECTED, answer.error
    else:
        status, error = RequestStatus.ACCEPTED, ""
    CANCELS.move(pk=cancel_id, source=RequestStatus.SENDING, target=status, error=error[:500])
    return status
