"""The staff desk of one ticket, inside the admin: the thread with internal notes, the
customer's balance, last orders and the linked orders' statuses beside it, and the forms to
reply (or note), assign and close. Every change goes through support/tickets.py."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.models import User
from orders.models import Order

from .models import CannedReply, Ticket
from .tickets import (
    TicketError,
    assign_ticket,
    close_ticket,
    department_staff,
    seen_by_staff,
    staff_reply,
)

LAST_ORDERS = 5


class StaffReplyForm(forms.Form):
    body = forms.CharField(
        label="Message", max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    canned = forms.ModelChoiceField(
        label="Canned reply", queryset=CannedReply.objects.none(), required=False,
        empty_label="— insert a canned reply —",
    )  # fmt: skip
    internal = forms.BooleanField(
        label="Internal note (only staff see it; the customer is not told)", required=False
    )
    close = forms.BooleanField(label="Close the ticket after replying", required=False)

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.fields["canned"].queryset = canned_replies(ticket)

    def clean(self):
        data = super().clean()
        if not data.get("body", "").strip() and data.get("canned"):
            data["body"] = fill_canned(data["canned"], self.ticket)
        if not data.get("body", "").strip():
            raise forms.ValidationError("Write a message, or choose a canned reply.")
        return data


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        label="Assigned to", queryset=User.objects.none(), required=False, empty_label="Nobody"
    )

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = department_staff(ticket.department).order_by(
            "username"
        )


def canned_replies(ticket: Ticket):
    return CannedReply.objects.filter(department__isnull=True) | CannedReply.objects.filter(
        department=ticket.department
    )


def fill_canned(reply: CannedReply, ticket: Ticket) -> str:
    return reply.body.replace("{customer}", ticket.user.username)


def desk_view(model_admin, request: HttpRequest, object_id: str) -> HttpResponse:
    ticket = model_admin.get_queryset(request).filter(pk=_pk(object_id)).first()
    if ticket is None:
        raise Http404("No such ticket in your departments.")
    if not model_admin.has_view_or_change_permission(request, ticket):
        raise PermissionDenied
    can_change = model_admin.has_change_permission(request, ticket)
    reply_form = StaffReplyForm(ticket=ticket)
    assign_form = AssignForm(ticket=ticket, initial={"assigned_to": ticket.assigned_to_id})
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        done, reply_form, assign_form = _post(model_admin, request, ticket)
        if done:
            return HttpResponseRedirect(request.path)
    seen_by_staff(ticket)
    return TemplateResponse(
        request,
        "admin/support/ticket/desk.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": f"Ticket #{ticket.pk}: {ticket.subject}",
            "ticket": ticket,
            "thread": ticket.messages.select_related("author").prefetch_related("attachments"),
            "customer": ticket.user,
            "last_orders": Order.objects.filter(user=ticket.user).select_related("service")[
                :LAST_ORDERS
            ],
            "linked_orders": ticket.orders.select_related("service", "provider").order_by("-id"),
            "other_tickets": Ticket.objects.filter(user=ticket.user).exclude(pk=ticket.pk)[:5],
            "reply_form": reply_form,
            "assign_form": assign_form,
            "canned": [(c.pk, c.title, fill_canned(c, ticket)) for c in canned_replies(ticket)],
            "can_change": can_change,
            "changelist_url": reverse("admin:support_ticket_changelist"),
            "staff_view": True,
        },
    )


def _post(model_admin, request: HttpRequest, ticket: Ticket):
    """(done, reply form, assign form) for one of the desk's three forms."""
    action = request.POST.get("action")
    reply_form = StaffReplyForm(ticket=ticket)
    assign_form = AssignForm(ticket=ticket, initial={"assigned_to": ticket.assigned_to_id})
    if action == "reply":
        reply_form = StaffReplyForm(request.POST, ticket=ticket)
        if not reply_form.is_valid():
            return False, reply_form, assign_form
        data = reply_form.cleaned_data
        message = staff_reply(
            ticket=ticket, staff=request.user, body=data["body"], internal=data["internal"]
        )
        model_admin.log_change(request, ticket, "Internal note." if message.internal else "Reply.")
        if data["close"]:
            close_ticket(ticket=ticket, by=request.user)
        text = "Note added." if message.internal else "Reply sent; the customer is mailed."
        messages.success(request, text)
        return True, reply_form, assign_form
    if action == "assign":
        assign_form = AssignForm(request.POST, ticket=ticket)
        if not assign_form.is_valid():
            return False, reply_form, assign_form
        try:
            assign_ticket(ticket=ticket, staff=assign_form.cleaned_data["assigned_to"])
        except TicketError as exc:
            messages.error(request, str(exc))
            return False, reply_form, assign_form
        model_admin.log_change(request, ticket, "Assigned.")
        messages.success(request, "Assignment saved.")
        return True, reply_form, assign_form
    if action == "close":
        if close_ticket(ticket=ticket, by=request.user):
            model_admin.log_change(request, ticket, "Closed.")
            messages.success(request, "Ticket closed.")
        return True, reply_form, assign_form
    messages.error(request, "Unknown action.")
    return False, reply_form, assign_form


def _pk(object_id: str) -> int:
    value = unquote(object_id)
    if not (value.isascii() and value.isdigit() and len(value) < 19):
        raise Http404("No such ticket.")
    return int(value)
