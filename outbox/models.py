from django.db import models
from django.utils import timezone


class MailStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up"


class OutboxMail(models.Model):
    """One mail for one event (`key`), recorded in the transaction of the event itself.

    The worker sends it after commit; a failing mail server delays it, never loses or doubles
    it (outbox/mail.py).
    """

    key = models.CharField(max_length=200, unique=True, help_text="The event this mail tells of.")
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    html = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "mail"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
