import re

from django import forms

from .attachments import AttachmentError, check_images
from .models import Department
from .tickets import MAX_LINKED_ORDERS, TicketError, own_orders

ACCEPT = "image/png,image/jpeg,image/gif,image/webp"
MAX_BODY = 5000


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """Zero or more pictures, each checked for what it really is (support/attachments.py)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        files = [super(ImagesField, self).clean(f, initial) for f in files]
        try:
            check_images(files)
        except AttachmentError as exc:
            raise forms.ValidationError(str(exc)) from None
        return files


class TicketForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(active=True), empty_label=None
    )
    subject = forms.CharField(max_length=150)
    body = forms.CharField(
        label="Message", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 7})
    )
    orders = forms.CharField(
        label="Order IDs", required=False, max_length=200,
        help_text=f"Optional: the orders this is about, e.g. 1042, 1057 (up to {MAX_LINKED_ORDERS}).",
    )  # fmt: skip
    attachments = ImagesField(
        label="Pictures", help_text="Optional: screenshots (PNG, JPEG, GIF or WebP, 2 MB each)."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["attachments"].help_text = _pictures_help()

    def clean_orders(self) -> list[int]:
        ids = parse_order_ids(self.cleaned_data["orders"])
        try:
            own_orders(user=self.user, order_ids=ids)
        except TicketError as exc:
            raise forms.ValidationError(str(exc)) from None
        return ids


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = ImagesField(label="Pictures")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _pictures_help()


def parse_order_ids(text: str) -> list[int]:
    """ "1042, #1057 1060" → [1042, 1057, 1060]; anything else is an error."""
    ids = []
    for part in re.split(r"[\s,;]+", text.strip()):
        part = part.removeprefix("#")
        if not part:
            continue
        if not (part.isascii() and part.isdigit() and len(part) <= 18):
            raise forms.ValidationError(f"“{part[:20]}” is not an order ID.")
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) > MAX_LINKED_ORDERS:
        raise forms.ValidationError(f"Link at most {MAX_LINKED_ORDERS} orders to a ticket.")
    return ids


def _pictures_help() -> str:
    from django.conf import settings

    most = settings.SUPPORT_ATTACHMENTS_PER_MESSAGE
    size = settings.SUPPORT_ATTACHMENT_MAX_BYTES / 1024 / 1024
    return f"Optional: up to {most} screenshots, PNG, JPEG, GIF or WebP, {size:g} MB each."
