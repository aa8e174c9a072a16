"""The mail outbox: one mail per event, never lost, never sent twice because a server failed.

`queue_mail` is called inside the transaction that records the event (a ticket reply, a
credited payment, a completed order), so the mail exists exactly when the event does, and the
event's key makes a second queuing of it a no-op. The worker sends after commit with the
claim-then-send rule the orders follow: PENDING → SENDING by compare-and-set, then SMTP, then
SENT. A refusal or an unreachable server puts the mail back to PENDING with backoff and the
error; after MAX_ATTEMPTS it is FAILED, visible to staff, who can retry it.

SMTP has no idempotency key: a worker killed after the server accepted a mail but before it was
marked SENT leaves it SENDING; after STALE_AFTER it is sent again. That one case prefers a rare
duplicate to a lost mail.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template import Context
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from .models import MailStatus, OutboxMail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_BASE = timedelta(seconds=30)  # doubled per failed attempt
BACKOFF_MAX = timedelta(hours=1)
STALE_AFTER = timedelta(minutes=10)  # a SENDING claim older than this was abandoned


def queue_mail(*, key: str, to: str | list[str], subject: str, body: str, html: str = "") -> bool:
    """Record one mail for the event `key`; False if that event's mail exists already (or
    there is nobody to send it to)."""
    recipients = [address.strip() for address in ([to] if isinstance(to, str) else to)]
    recipients = [address for address in recipients if address]
    if not recipients:
        return False
    mail, created = OutboxMail.objects.get_or_create(
        key=key[:200],
        defaults={
            "to": recipients,
            "subject": " ".join(subject.split())[:255],
            "body": body,
            "html": html,
        },
    )
    if created:
        transaction.on_commit(lambda: _enqueue(mail.pk))
    return created


def queue_template(*, key: str, to: str | list[str], template: str, context: dict) -> bool:
    """`queue_mail` with the subject, text and (optional) HTML rendered from `template`."""
    context = {"panel_name": settings.PANEL_NAME, **context}
    try:
        html = render_to_string(f"{template}.html", context)
    except TemplateDoesNotExist:
        html = ""
    return queue_mail(
        key=key,
        to=to,
        subject=_render_text(f"{template}.subject.txt", context),
        body=_render_text(f"{template}.txt", context),
        html=html,
    )


def _render_text(name: str, context: dict) -> str:
    """A plain-text template, not HTML-escaped (a customer named "O'Brien" stays so)."""
    return get_template(name).template.render(Context(context, autoescape=False))


def send(mail_id: int, *, now: datetime | None = None) -> str:
    """Send one due mail if this call wins its claim; returns the status it ended in."""
    now = now or timezone.now()
    claimed = OutboxMail.objects.filter(
        pk=mail_id, status=MailStatus.PENDING, next_attempt_at__lte=now
    ).update(status=MailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "not due"
    mail = OutboxMail.objects.get(pk=mail_id)
    try:
        _message(mail).send(fail_silently=False)
    except Exception as exc:  # any refusal or outage of the mail server: try again later
        return _failed(mail, exc, now=now)
    OutboxMail.objects.filter(pk=mail_id, status=MailStatus.SENDING).update(
        status=MailStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return MailStatus.SENT


def send_due(*, limit: int = 200, now: datetime | None = None) -> int:
    """The beat job: take back abandoned claims, then send what is due. Returns mails sent."""
    now = now or timezone.now()
    OutboxMail.objects.filter(status=MailStatus.SENDING, claimed_at__lt=now - STALE_AFTER).update(
        status=MailStatus.PENDING, last_error="the send did not finish: sent again"
    )
    due = OutboxMail.objects.filter(status=MailStatus.PENDING, next_attempt_at__lte=now)
    ids = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    return sum(send(pk, now=now) == MailStatus.SENT for pk in ids)


def retry(mail_ids: list[int]) -> int:
    """Staff: send FAILED mails again, from the first attempt."""
    return OutboxMail.objects.filter(pk__in=mail_ids, status=MailStatus.FAILED).update(
        status=MailStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )


def _message(mail: OutboxMail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject, body=mail.body, from_email=settings.DEFAULT_FROM_EMAIL, to=mail.to
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    return message


def _failed(mail: OutboxMail, exc: Exception, *, now: datetime) -> str:
    error = f"{type(exc).__name__}: {exc}"[:500]
    log.warning("mail %s not sent (attempt %s): %s", mail.pk, mail.attempts, error)
    gave_up = mail.attempts >= MAX_ATTEMPTS
    OutboxMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING).update(
        status=MailStatus.FAILED if gave_up else MailStatus.PENDING,
        next_attempt_at=now + min(BACKOFF_BASE * 2 ** (mail.attempts - 1), BACKOFF_MAX),
        last_error=error,
    )
    return MailStatus.FAILED if gave_up else MailStatus.PENDING


def _enqueue(mail_id: int) -> None:
    from .tasks import send_mail

    try:
        send_mail.delay(mail_id)
    except Exception:  # the broker is away: the beat job sends it
        log.exception("could not enqueue mail %s; the beat job will send it", mail_id)
