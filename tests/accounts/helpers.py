"""A helper of the accounts tests (people and money: harness/customers.py)."""

from accounts.models import User
from orders.models import Order
from orders.placing import place_order


def place(user: User, service, quantity: int = 100) -> Order:
    return place_order(
        user=user,
        service_id=service.pk,
        fields={"link": "https://instagram.com/some.profile", "quantity": str(quantity)},
    )
