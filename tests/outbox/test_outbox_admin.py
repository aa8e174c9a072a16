import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from outbox import mail
from outbox.models import MailStatus, OutboxMail

pytestmark = pytest.mark.django_db


def _staff(client, *codenames):
    user = get_user_model().objects.create_user("viewer", "v@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def _failed_mail() -> OutboxMail:
    mail.queue_mail(key="k", to="alice@example.com", subject="Hello", body="secret body")
    OutboxMail.objects.update(status=MailStatus.FAILED, last_error="SMTPDataError: 451")
    return OutboxMail.objects.get()


def test_view_only_staff_read_mails_but_cannot_edit_or_retry(client):
    failed = _failed_mail()
    client = _staff(client, "view_outboxmail")
    page = client.get(f"/admin/outbox/outboxmail/{failed.pk}/change/")
    assert page.status_code == 200 and b"SMTPDataError" in page.content
    assert b'name="subject"' not in page.content  # read-only

    listing = client.get("/admin/outbox/outboxmail/").content.decode()
    assert 'value="retry"' not in listing
    client.post("/admin/outbox/outboxmail/", {"action": "retry", "_selected_action": [failed.pk]})
    assert OutboxMail.objects.get().status == MailStatus.FAILED
    assert client.get("/admin/outbox/outboxmail/add/").status_code == 403


def test_staff_with_change_permission_retry_a_failed_mail(client):
    failed = _failed_mail()
    client = _staff(client, "view_outboxmail", "change_outboxmail")
    client.post("/admin/outbox/outboxmail/", {"action": "retry", "_selected_action": [failed.pk]})
    assert OutboxMail.objects.get().status == MailStatus.PENDING
    assert client.get(f"/admin/outbox/outboxmail/{failed.pk}/delete/").status_code == 403
