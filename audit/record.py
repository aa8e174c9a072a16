"""Writing the audit trail: `record` one entry, `snapshot` and `diff` a row's fields."""

from typing import Any

from django.db import models

from .models import AuditEntry

SECRET_CHANGED = "changed"  # what a secret's change shows: never its value


def record(
    *, actor, action: str, target: models.Model | None = None, target_type: str = "",
    target_id: Any = "", changes: dict | None = None, note: str = "",
) -> AuditEntry:  # fmt: skip
    """One audit row: who (a user or None for the system), what, before → after."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=getattr(actor, "username", "") or "system",
        action=action[:40],
        target_type=target_type[:100],
        target_id=str(target_id if target_id is not None else "")[:64],
        target_repr=str(target)[:200] if target is not None else "",
        changes=changes or {},
        note=note,
    )


def snapshot(obj: models.Model, fields=None) -> dict[str, Any]:
    """The row's concrete fields (or the named ones) as JSON-able values."""
    names = fields or [f.name for f in obj._meta.concrete_fields]
    values = {}
    for name in names:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(str(o) for o in getattr(obj, name).all()) if obj.pk else []
            continue
        value = getattr(obj, field.attname)
        values[name] = value if isinstance(value, bool | int | None) else str(value)
    return values


def diff(before: dict, after: dict, secrets=()) -> dict[str, list]:
    """{field: [before, after]} for each field that changed; a secret as "changed"."""
    changes = {}
    for name, new in after.items():
        old = before.get(name)
        if old != new:
            changes[name] = SECRET_CHANGED if name in secrets else [old, new]
    return changes
