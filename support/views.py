"""The customer's support pages: their tickets, a new ticket, a ticket's thread, attachments.

Thin: every rule is in support/tickets.py. Another customer's ticket or attachment is a 404,
never a 403: whether it exists is not for them to learn.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.adminsite import staff_verified
from orders.models import Order

from .forms import ReplyForm, TicketForm
from .models import Attachment, Department, Message, Ticket
from .tickets import (
    RateLimited,
    TicketError,
    close_ticket,
    customer_reply,
    open_ticket,
    seen_by_customer,
    staff_tickets,
)

TICKETS_PER_PAGE = 25
FORM_OVERHEAD = 256 * 1024  # the text fields and multipart framing around the pictures


@login_required
@require_http_methods(["GET", "HEAD"])
def tickets(request: HttpRequest) -> HttpResponse:
    found = Ticket.objects.filter(user=request.user).select_related("department")
    page = Paginator(found.order_by("-updated_at", "-id"), TICKETS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "support/list.html", {"page": page})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if _too_large(request):
            return _too_large_page(request)
        form = TicketForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                ticket = open_ticket(
                    user=request.user,
                    department=form.cleaned_data["department"],
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    order_ids=form.cleaned_data["orders"],
                    files=form.cleaned_data["attachments"],
                )
            except TicketError as exc:
                return _form_page(request, form, error=str(exc), status=_status(exc))
            messages.success(request, f"Ticket #{ticket.pk} is open. We reply here and by mail.")
            return redirect("support:ticket", ticket.pk)
        return _form_page(request, form, status=400)
    return _form_page(request, TicketForm(initial=_prefill(request), user=request.user))


def _prefill(request: HttpRequest) -> dict:
    """From “Need help with this order?” (?order=ID) or a contact channel (?department=ID)."""
    initial = {}
    department = _int(request.GET.get("department"))
    if department and Department.objects.filter(pk=department, active=True).exists():
        initial["department"] = department
    order_id = _int(request.GET.get("order"))
    if order_id and Order.objects.filter(pk=order_id, user=request.user).exists():
        initial["orders"] = str(order_id)
        initial["subject"] = f"Order #{order_id}"
        orders_desk = Department.objects.filter(active=True, handles_orders=True).first()
        if orders_desk and "department" not in initial:
            initial["department"] = orders_desk.pk
    return initial


def _form_page(request, form, *, error: str = "", status: int = 200) -> HttpResponse:
    return render(request, "support/new.html", {"form": form, "error": error}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(
        Ticket.objects.select_related("department"), pk=pk, user=request.user
    )
    form = ReplyForm()
    error, status = "", 200
    if request.method == "POST":
        if _too_large(request):
            return _too_large_page(request)
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                customer_reply(
                    ticket=ticket,
                    user=request.user,
                    body=form.cleaned_data["body"],
                    files=form.cleaned_data["attachments"],
                )
            except TicketError as exc:
                error, status = str(exc), _status(exc)
            else:
                messages.success(request, "Your reply is sent.")
                return redirect("support:ticket", ticket.pk)
        else:
            status = 400
    seen_by_customer(ticket)
    thread = (
        ticket.messages.filter(internal=False)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )
    context = {
        "ticket": ticket,
        "thread": thread,
        "orders": ticket.orders.select_related("service").order_by("-id"),
        "form": form,
        "error": error,
    }
    return render(request, "support/ticket.html", context, status=status)


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk, user=request.user)
    if close_ticket(ticket=ticket, by=request.user):
        messages.success(request, f"Ticket #{ticket.pk} is closed. Reply to it to reopen it.")
    return redirect("support:ticket", ticket.pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A picture of a ticket, for its customer (never one of an internal note) or its staff."""
    found = Attachment.objects.select_related("message__ticket").filter(pk=pk).first()
    if found is None or not _may_see(request.user, found.message):
        raise Http404("No such attachment.")
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404("No such attachment.") from None
    response = FileResponse(handle, content_type=found.content_type)
    response["Content-Disposition"] = f'inline; filename="{found.name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _may_see(user, message: Message) -> bool:
    ticket = message.ticket
    if ticket.user_id == user.pk and not message.internal:
        return True
    return (
        user.is_staff
        and staff_verified(user)  # a password alone does not open the admin, nor this
        and user.has_perm("support.view_ticket")
        and staff_tickets(user).filter(pk=ticket.pk).exists()
    )


def _too_large(request: HttpRequest) -> bool:
    """Refuse an oversized upload before reading it (every foreign input is bounded)."""
    limit = (
        settings.SUPPORT_ATTACHMENTS_PER_MESSAGE * settings.SUPPORT_ATTACHMENT_MAX_BYTES
        + FORM_OVERHEAD
    )
    length = request.META.get("CONTENT_LENGTH") or "0"
    return not length.isdigit() or int(length) > limit


def _too_large_page(request: HttpRequest) -> HttpResponse:
    most = settings.SUPPORT_ATTACHMENTS_PER_MESSAGE
    size = settings.SUPPORT_ATTACHMENT_MAX_BYTES / 1024 / 1024
    return render(
        request,
        "support/too_large.html",
        {"most": most, "size": f"{size:g}"},
        status=413,
    )


def _status(exc: TicketError) -> int:
    return 429 if isinstance(exc, RateLimited) else 400


def _int(text: str | None) -> int | None:
    if text and text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    return None
