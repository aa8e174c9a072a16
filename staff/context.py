"""Context processor: the staff dashboard on the admin index (the admin's home), computed only
if the template shows it, for staff who may see it."""

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject


def admin_index(request) -> dict:
    user = getattr(request, "user", None)
    if request.path != reverse("admin:index") or not (user and user.is_active and user.is_staff):
        return {}
    if not user.has_perm("staff.view_dashboard"):
        return {}
    from .dashboard import dashboard

    return {"staff_dashboard": SimpleLazyObject(lambda: dashboard(timezone.now()))}
