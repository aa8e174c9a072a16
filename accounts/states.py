"""The state table of payments (panel/states.py): a payment is decided once, by staff."""

from panel.states import CREATED, Move, StateTable

from .models import Payment, PaymentStatus

P = PaymentStatus

PAYMENTS = StateTable(
    Payment,
    PaymentStatus,
    [
        Move(CREATED, P.PENDING, "the customer reports a payment", where="payments.py"),
        Move(P.PENDING, P.APPROVED, "staff approve it", "amount credited, once", "payments.py"),
        Move(P.PENDING, P.REJECTED, "staff reject it", where="payments.py"),
    ],
)
