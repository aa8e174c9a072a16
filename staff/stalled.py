"""Orders in progress whose remains have not moved for longer than their service allows.

The poller writes remains in bulk and keeps no history, so a beat job (`refresh_marks`) notes,
in one statement, each active order's remains and since when they have been what they are.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q

from orders.models import Order, OrderStatus

from .models import ProgressMark, ServiceWatch

_MARKS = ProgressMark._meta.db_table
_ORDERS = Order._meta.db_table

_UPSERT = f"""
INSERT INTO {_MARKS} (order_id, remains, since)
SELECT id, remains, CASE WHEN remains IS NULL THEN COALESCE(sent_at, %(now)s) ELSE %(now)s END
FROM {_ORDERS} WHERE status = %(status)s
ON CONFLICT (order_id) DO UPDATE SET remains = excluded.remains, since = %(now)s
WHERE {_MARKS}.remains {{distinct}} excluded.remains
"""  # noqa: S608 (table names are the models')
_DROP = f"""
DELETE FROM {_MARKS} WHERE NOT EXISTS (
  SELECT 1 FROM {_ORDERS} o WHERE o.id = {_MARKS}.order_id AND o.status = %(status)s)
"""  # noqa: S608


def refresh_marks(now: datetime) -> None:
    """Note each IN_PROGRESS order's remains, moving `since` only when they changed; forget the
    orders no longer in progress. Two statements, whatever the number of orders."""
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    params = {"now": now, "status": OrderStatus.IN_PROGRESS}
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(distinct=distinct), params)
        cursor.execute(_DROP, params)


def stalled(now: datetime):
    """The ProgressMarks of IN_PROGRESS orders whose remains have not moved for longer than
    their service's threshold (ServiceWatch), or STAFF_STALLED_HOURS for the others. One
    condition per distinct threshold (a handful), so the `since` index does the work."""
    default = settings.STAFF_STALLED_HOURS
    condition = Q(order__service__watch__isnull=True, since__lt=now - timedelta(hours=default))
    for hours in ServiceWatch.objects.values_list("stalled_after_hours", flat=True).distinct():
        condition |= Q(
            order__service__watch__stalled_after_hours=hours,
            since__lt=now - timedelta(hours=hours),
        )
    return ProgressMark.objects.filter(condition, order__status=OrderStatus.IN_PROGRESS)
