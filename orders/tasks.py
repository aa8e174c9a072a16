from celery import shared_task


@shared_task
def forward_order(order_id: int) -> None:
    from .forwarding import forward

    forward(order_id)
