"""Secrets in admin: masked, replaceable, never displayed.

A ModelAdmin lists its secret fields in `secret_fields`. Each is edited through an empty
password input (a blank submit keeps the stored value, a new one replaces it) and shown,
read-only or not, only as "set" / "not set": Django's read-only rendering would print the value.
"""

from django import forms
from django.contrib import admin


def _state(obj, name: str) -> str:
    return "Set (hidden)" if obj is not None and getattr(obj, name, "") else "Not set"


class SecretInput(forms.PasswordInput):
    def __init__(self, attrs=None):
        super().__init__(
            attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False
        )


class SecretFieldsMixin:
    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            shown = admin.display(description=self.model._meta.get_field(name).verbose_name)(
                lambda obj, _name=name: _state(obj, _name)
            )
            setattr(self, f"{name}_state", shown)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self._editable(request, obj) else list(self._masked(fields))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._editable(request, obj):
            return fieldsets
        return [
            (title, {**opts, "fields": self._masked(opts.get("fields", ()))})
            for title, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        return self._masked(super().get_readonly_fields(request, obj))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name not in self.secret_fields:
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        return forms.CharField(
            label=db_field.verbose_name.capitalize(),
            required=False,
            strip=True,
            widget=SecretInput(),
            max_length=getattr(db_field, "max_length", None),
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        secret_fields = [name for name in self.secret_fields if name in form.base_fields]
        form = _keep_blank_secrets(form, secret_fields)
        for name in secret_fields:
            field = form.base_fields[name]
            field.help_text = (
                "Set — leave blank to keep it, or enter a new value to replace it."
                if _state(obj, name) == "Set (hidden)"
                else "Not set."
            )
            field.required = obj is None and not self.model._meta.get_field(name).blank
        return form

    def _masked(self, fields) -> tuple:
        """The field names with each secret replaced by its "set / not set" display."""
        return tuple(
            self._masked(f)
            if isinstance(f, list | tuple)
            else (f"{f}_state" if f in self.secret_fields else f)
            for f in fields
        )

    def _editable(self, request, obj) -> bool:
        if obj is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, obj)


def _keep_blank_secrets(form_class, names: list[str]):
    """A form class whose blank secret inputs leave the instance's stored values in place."""
    if not names:
        return form_class

    def _post_clean(self):
        for name in names:
            if not self.cleaned_data.get(name) and self.instance.pk is not None:
                self.cleaned_data.pop(name, None)
        super(form, self)._post_clean()

    form = type(form_class.__name__, (form_class,), {"_post_clean": _post_clean})
    return form
