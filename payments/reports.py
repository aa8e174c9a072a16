"""What a verified gateway report does to the money: the one dispatcher the webhook and the
return views share."""

from .crediting import credit_paid, mark_failed
from .methods.base import Failed, Paid, Report, Reversed
from .reversals import record_reversal


def apply_report(*, method: str, report: Report) -> None:
    """Raises crediting.UnknownPayment when the report names no payment of ours."""
    if isinstance(report, Paid):
        credit_paid(
            method=method, ref=report.ref, payment_id=report.payment_id, amount=report.amount,
            currency=report.currency,
        )  # fmt: skip
    elif isinstance(report, Failed):
        mark_failed(method=method, ref=report.ref, reason=report.reason)
    elif isinstance(report, Reversed):
        record_reversal(
            method=method, payment_id=report.payment_id, ref=report.ref, kind=report.kind,
            amount=report.amount, currency=report.currency,
        )  # fmt: skip
