"""The state table of payments (panel/states.py): a payment is credited once — by staff for a
manual transfer, by the gateway's report for the others — and a credited one can be reversed."""

from panel.states import CREATED, Move, StateTable

from .models import Payment, PaymentStatus

P = PaymentStatus

PAYMENTS = StateTable(
    Payment,
    PaymentStatus,
    [
        Move(CREATED, P.PENDING, "the customer starts a payment", where="payments/starting.py"),
        Move(P.PENDING, P.APPROVED, "staff approve a transfer", "amount credited, once",
             "payments/crediting.py"),
        Move(P.PENDING, P.APPROVED, "the gateway reports it paid (return or webhook)",
             "amount credited, once", "payments/crediting.py"),
        Move(P.FAILED, P.APPROVED, "the gateway reports a late success",
             "amount credited, once", "payments/crediting.py"),
        Move(P.PENDING, P.REJECTED, "staff reject a transfer", where="payments/crediting.py"),
        Move(P.PENDING, P.FAILED, "the gateway cannot open it", where="payments/starting.py"),
        Move(P.PENDING, P.FAILED, "the gateway reports it failed or expired",
             where="payments/crediting.py"),
        Move(P.APPROVED, P.REFUNDED, "the gateway reports a refund",
             "its share taken back as far as the balance goes, the rest owed",
             "payments/reversals.py"),
        Move(P.APPROVED, P.DISPUTED, "the gateway reports a dispute",
             "its share taken back as far as the balance goes, the rest owed",
             "payments/reversals.py"),
        Move(P.REFUNDED, P.DISPUTED, "a dispute after a refund", "the rest of its share",
             "payments/reversals.py"),
        Move(P.DISPUTED, P.REFUNDED, "a refund after a dispute", "the rest of its share",
             "payments/reversals.py"),
    ],
)  # fmt: skip
