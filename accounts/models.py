from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The panel's user: customers and staff alike (staff have is_staff)."""
