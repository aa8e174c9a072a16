"""The state tables of orders, refills and cancel requests (panel/states.py): every move a row
can make, and the module that makes it. Nothing changes a status except through these tables'
`move`; docs/design.md shows them as written here.
"""

from panel.states import CREATED, Move, StateTable

from .models import CancelRequest, Order, OrderStatus, Refill, RequestStatus

S = OrderStatus
R = RequestStatus
FULL = "full refund"
UNDELIVERED = "undelivered part refunded"

ORDERS = StateTable(
    Order,
    OrderStatus,
    [
        Move(CREATED, S.PENDING, "placed: debit, order and charge row in one statement",
             "charged", "placing.py"),
        Move(S.PENDING, S.SENDING, "a worker claims it, committed before the upstream call",
             where="forwarding.py"),
        Move(S.SENDING, S.IN_PROGRESS, "the upstream answers its order id", where="forwarding.py"),
        Move(S.SENDING, S.PENDING, "not sent (refused, DNS, connect timeout): again after a "
             "backoff; or refused, with another offer left to try", where="forwarding.py"),
        Move(S.SENDING, S.FAILED, "refused by its last offer, or not sent six times", FULL,
             "forwarding.py"),
        Move(S.SENDING, S.HELD, "the provider is out of funds", where="forwarding.py"),
        Move(S.SENDING, S.UNKNOWN, "anything uncertain (read timeout, reset after sending, 5xx, "
             "garbage, an id another order has or too long to store); or stuck past the "
             "deadline (sweeper): never resent", where="forwarding.py"),
        Move(S.PENDING, S.HELD, "no enabled provider sells its service", where="forwarding.py"),
        Move(S.PENDING, S.FAILED, "every offer refused it", FULL, "forwarding.py"),
        Move(S.HELD, S.PENDING, "its provider's balance covers it again, or an offer is usable "
             "again", where="forwarding.py"),
        Move(S.IN_PROGRESS, S.COMPLETED, "the upstream says Completed", where="polling.py"),
        Move(S.IN_PROGRESS, S.PARTIAL, "the upstream says Partial, with remains", UNDELIVERED,
             "polling.py"),
        Move(S.IN_PROGRESS, S.CANCELED, "the upstream says Canceled (or Refunded, Fail…)", FULL,
             "polling.py"),
        Move(S.PENDING, S.CANCELED, "the customer cancels it before it is sent", FULL,
             "cancels.py"),
        Move(S.HELD, S.CANCELED, "the customer cancels it before it is sent", FULL,
             "cancels.py"),
        Move(S.UNKNOWN, S.IN_PROGRESS, "staff attach the provider's order id", where="staff.py"),
        Move(S.UNKNOWN, S.PENDING, "staff confirm the provider has no such order",
             where="staff.py"),
        Move(S.HELD, S.PENDING, "staff send it again", where="staff.py"),
        Move(S.FAILED, S.PENDING, "staff send it again (only if nothing was refunded)",
             where="staff.py"),
        Move(S.PENDING, S.CANCELED, "staff cancel it", FULL, "staff.py"),
        Move(S.HELD, S.CANCELED, "staff cancel it", FULL, "staff.py"),
        Move(S.UNKNOWN, S.CANCELED, "staff cancel it (the provider may still deliver)", FULL,
             "staff.py"),
        Move(S.IN_PROGRESS, S.CANCELED, "staff cancel it (the provider may still deliver)", FULL,
             "staff.py"),
        Move(S.UNKNOWN, S.PARTIAL, "staff set it partial", UNDELIVERED, "staff.py"),
        Move(S.IN_PROGRESS, S.PARTIAL, "staff set it partial", UNDELIVERED, "staff.py"),
    ],
)  # fmt: skip

# Refill and cancel requests share their way upstream (upstream_requests.py); they differ
# in how they end.
_SENT = [
    Move(R.PENDING, R.SENDING, "a worker claims it, committed before the upstream call",
         where="upstream_requests.py"),
    Move(R.SENDING, R.PENDING, "not sent (refused, DNS, connect timeout): again after a backoff",
         where="upstream_requests.py"),
    Move(R.SENDING, R.FAILED, "not sent five times", where="upstream_requests.py"),
    Move(R.SENDING, R.REJECTED, "the upstream answers an error", where="upstream_requests.py"),
    Move(R.SENDING, R.UNKNOWN, "anything uncertain; or stuck past the deadline (sweeper): "
         "never resent", where="upstream_requests.py"),
]  # fmt: skip

REFILLS = StateTable(
    Refill,
    RequestStatus,
    [
        Move(CREATED, R.PENDING, "the customer asks for a refill of a completed order",
             where="refills.py"),
        *_SENT,
        Move(R.SENDING, R.ACCEPTED, "the upstream answers its refill id", where="refills.py"),
        Move(R.ACCEPTED, R.COMPLETED, "the upstream says Completed", where="refills.py"),
        Move(R.ACCEPTED, R.REJECTED, "the upstream says Rejected (or Failed, Canceled…)",
             where="refills.py"),
    ],
)  # fmt: skip

CANCELS = StateTable(
    CancelRequest,
    RequestStatus,
    [
        Move(CREATED, R.PENDING, "the customer cancels an order in progress", where="cancels.py"),
        *_SENT,
        Move(R.SENDING, R.ACCEPTED, "the upstream accepts the cancel", where="cancels.py"),
        Move(R.SENDING, R.REJECTED, "the upstream refuses this order's cancel",
             where="cancels.py"),
        Move(R.PENDING, R.COMPLETED, "its order settles other than Completed",
             where="settlement.py"),
        Move(R.ACCEPTED, R.COMPLETED, "its order settles other than Completed",
             where="settlement.py"),
        Move(R.PENDING, R.REJECTED, "its order completes anyway", where="settlement.py"),
        Move(R.ACCEPTED, R.REJECTED, "its order completes anyway", where="settlement.py"),
    ],
)  # fmt: skip
