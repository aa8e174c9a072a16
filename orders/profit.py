"""What an order earned the panel: what the customer paid (charge minus refund) minus what
the upstream charged, converted into the panel currency at the exchange rate recorded when the
order was sent (the provider's current rate for orders sent before the panel recorded it).
One expression, for the order admin and the reports (reports/summary.py)."""

from decimal import Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

PRECISE = DecimalField(max_digits=30, decimal_places=17)  # cost × rate, unrounded
ZERO = Value(Decimal(0), output_field=PRECISE)


def panel_cost():
    """The upstream's charge in the panel currency; NULL when it has not reported one."""
    rate = Coalesce(F("exchange_rate"), F("provider__exchange_rate"))
    return ExpressionWrapper(F("cost") * rate, output_field=PRECISE)


def with_profit(orders: QuerySet) -> QuerySet:
    """`orders` with `profit`: paid − cost. An order never accepted upstream cost nothing; one
    accepted whose cost is not reported yet has no profit yet (NULL)."""
    return orders.annotate(
        profit=Case(
            When(Q(cost__isnull=True, upstream_order_id__isnull=False), then=Value(None)),
            default=F("charge") - F("refunded") - Coalesce(panel_cost(), ZERO),
            output_field=PRECISE,
        )
    )
