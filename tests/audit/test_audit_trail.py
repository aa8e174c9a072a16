"""The audit trail: staff changes to markups, providers, services and roles, with who, before →
after and when; read-only in admin; a secret recorded as "changed", never its value."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from audit.models import AuditEntry
from catalog.models import MarkupRule, Provider
from harness.catalog import make_provider, make_service, make_upstream

pytestmark = pytest.mark.django_db

SECRET = "sk-live-audit-sentinel-123"


def only(**lookup) -> AuditEntry:
    return AuditEntry.objects.get(**lookup)


def test_set_markup_records_each_service_before_and_after(sam_client, sam):
    service = make_service(make_upstream(make_provider(name="P"), rate="1.00"))
    data = {"action": "set_markup", "_selected_action": [service.pk], "apply": "1", "percent": "25"}

    sam_client.post("/admin/catalog/service/", data)

    entry = only(action="set_markup", target_id=str(service.pk))
    assert entry.actor == sam and entry.actor_name == "sam"
    assert entry.changes == {"markup_percent": ["None", "25"]}
    assert entry.created_at is not None


def test_a_markup_rule_saved_in_admin_is_recorded(sam_client, sam):
    response = sam_client.post("/admin/catalog/markuprule/add/", {"percent": "30"})
    assert response.status_code == 302
    rule = MarkupRule.objects.get()

    sam_client.post(f"/admin/catalog/markuprule/{rule.pk}/change/", {"percent": "12.5"})

    added = only(action="add", target_type="catalog.markuprule")
    assert added.changes["percent"] == [None, "30.0000"]
    changed = only(action="change", target_type="catalog.markuprule")
    assert changed.changes == {"percent": ["30.0000", "12.5000"]}  # nothing else
    assert changed.actor == sam


def test_a_provider_key_change_is_recorded_as_changed_never_its_value(sam_client):
    provider = make_provider(name="Upstream", api_key="old-key-value-987")
    form = {"name": provider.name, "api_url": provider.api_url, "currency": "USD",
            "exchange_rate": "2", "enabled": "on", "api_key": SECRET}  # fmt: skip

    assert (
        sam_client.post(f"/admin/catalog/provider/{provider.pk}/change/", form).status_code == 302
    )

    assert Provider.objects.get(pk=provider.pk).api_key == SECRET
    entry = only(action="change", target_type="catalog.provider")
    assert entry.changes["api_key"] == "changed"
    assert entry.changes["exchange_rate"][1] == "2.0000000000"
    dump = str(list(AuditEntry.objects.values()))
    assert SECRET not in dump and "old-key-value-987" not in dump
    listing = sam_client.get("/admin/audit/auditentry/").content.decode()
    assert SECRET not in listing and "api_key: changed" in listing


def test_a_role_permission_change_is_recorded(sam_client, sam):
    role = Group.objects.get(name="Support")
    perms = list(role.permissions.values_list("pk", flat=True))
    extra = Permission.objects.get(codename="change_service")

    response = sam_client.post(
        f"/admin/auth/group/{role.pk}/change/",
        {"name": "Support", "permissions": [*perms, extra.pk]},
    )

    assert response.status_code == 302
    entry = only(action="change", target_type="auth.group")
    before, after = entry.changes["permissions"]
    assert set(after) - set(before) == {str(extra)}


def test_making_someone_superuser_is_recorded(sam_client, alice):
    form = {"username": "alice", "email": alice.email, "is_active": "on", "is_staff": "on",
            "is_superuser": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}  # fmt: skip

    response = sam_client.post(f"/admin/accounts/user/{alice.pk}/change/", form)

    assert response.status_code == 302
    entry = only(action="change", target_type="accounts.user")
    assert entry.changes["is_superuser"] == [False, True]
    assert "password" not in entry.changes


def test_the_audit_trail_is_read_only_in_admin(sam_client, sam):
    entry = AuditEntry.objects.create(actor=sam, actor_name="sam", action="change",
                                      target_type="catalog.service", target_id="1",
                                      changes={"rate": ["1", "2"]})  # fmt: skip
    url = f"/admin/audit/auditentry/{entry.pk}/"

    assert sam_client.get("/admin/audit/auditentry/add/").status_code == 403
    assert sam_client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    sam_client.post(f"{url}change/", {"action": "tampered", "note": "x"})

    entry.refresh_from_db()
    assert (entry.action, entry.note) == ("change", "")
    page = sam_client.get(f"{url}change/").content.decode()
    assert "rate: 1 → 2" in page


def test_a_markup_edited_in_the_service_list_is_recorded(sam_client, sam):
    service = make_service(make_upstream(make_provider(), rate="1"))
    form = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": str(service.pk),
            "form-0-markup_percent": "15", "form-0-fixed_rate": "", "form-0-enabled": "on",
            "_save": "Save"}  # fmt: skip

    assert sam_client.post("/admin/catalog/service/", form).status_code == 302

    entry = only(action="change", target_type="catalog.service")
    assert entry.changes == {"markup_percent": [None, "15.0000"]}
    assert entry.actor == sam


def test_a_staff_member_added_in_admin_is_recorded_with_their_roles(sam_client):
    finance = Group.objects.get(name="Finance")
    form = {"username": "newbie", "password1": "Zq8!long-enough-pw", "password2": "Zq8!long-enough-pw",
            "usable_password": "true"}  # fmt: skip
    response = sam_client.post("/admin/accounts/user/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    newbie = User.objects.get(username="newbie")
    data = {"username": "newbie", "email": "", "is_active": "on", "is_staff": "on",
            "groups": [finance.pk], "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}  # fmt: skip

    sam_client.post(f"/admin/accounts/user/{newbie.pk}/change/", data)

    added = only(action="add", target_type="accounts.user")
    assert added.changes["username"] == [None, "newbie"]
    assert not any("password" in name for name in added.changes)
    changed = only(action="change", target_type="accounts.user")
    assert changed.changes == {"is_staff": [False, True], "groups": [[], ["Finance"]]}
