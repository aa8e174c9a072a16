"""Support tickets: a customer's conversation with staff in a department.

The rules (who may see, open, reply, close; rate limits; notifications) live in
support/tickets.py; views and admin only call them.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from panel.storage import PrivateMediaStorage

# Outside the web root, served only by support.views.attachment.
private_storage = PrivateMediaStorage()


class Department(models.Model):
    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Customers can open tickets in it.")
    groups = models.ManyToManyField(
        Group, blank=True, related_name="support_departments",
        help_text="Only staff in one of these groups see its tickets (none: every support "
        "staff member). Superusers see every department.",
    )  # fmt: skip
    handles_orders = models.BooleanField(
        "orders desk", default=False,
        help_text="“Need help with this order?” opens tickets here.",
    )  # fmt: skip
    email = models.EmailField(
        blank=True, help_text="Where its new tickets and replies are mailed while unassigned; "
        "empty: to its staff.",
    )  # fmt: skip

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"  # waiting for staff
    ANSWERED = "answered", "Answered"  # waiting for the customer
    CLOSED = "closed", "Closed"


class Ticket(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets"
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(max_length=150)
    status = models.CharField(
        max_length=10, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_tickets", limit_choices_to={"is_staff": True},
    )  # fmt: skip
    orders = models.ManyToManyField("orders.Order", blank=True, related_name="tickets")
    # Since when the ticket waits for staff (the queue's order), or None when it does not.
    waiting_since = models.DateTimeField(null=True, blank=True)
    # A staff reply the customer has not seen yet (the list's unread mark).
    customer_unread = models.BooleanField(default=False)
    # A customer message no staff member has opened yet.
    staff_unread = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-updated_at"]),
            models.Index(fields=["department", "status", "waiting_since"]),
            models.Index(fields=["user", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    from_staff = models.BooleanField(default=False)
    # An internal note: staff only, never shown or mailed to the customer.
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["author", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(internal=False) | Q(from_staff=True), name="only_staff_write_notes"
            )
        ]

    def __str__(self) -> str:
        return f"Message #{self.pk} on ticket #{self.ticket_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to="tickets/%Y/%m/", max_length=200)
    name = models.CharField(max_length=120, help_text="The file's name as uploaded (cleaned).")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CannedReply(models.Model):
    title = models.CharField(max_length=80)
    body = models.TextField(help_text="{customer} is replaced by the customer's username.")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="canned_replies",
        help_text="Offered in this department only (empty: in every department).",
    )  # fmt: skip

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title
