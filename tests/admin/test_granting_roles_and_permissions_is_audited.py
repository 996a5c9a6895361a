"""Who may do what is itself a change the trail must show: a group given a permission, a user put
in a role, a password reset. The trail names the person and never holds a password hash."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_giving_front_desk_the_export_right_is_audited(superuser):
    desk = Group.objects.get(name="Front desk")
    export = Permission.objects.get(codename="export_messages")
    perms = [str(p.pk) for p in desk.permissions.all()] + [str(export.pk)]
    response = superuser.post(f"/admin/auth/group/{desk.pk}/change/", {"name": desk.name, "permissions": perms})
    assert response.status_code == 302
    event = AuditEvent.objects.get(actor_user=superuser.user, action="group.update", object_id=str(desk.pk))
    assert export.pk in event.after["permissions"] and export.pk not in event.before["permissions"]


def test_making_a_user_a_manager_is_audited(superuser):
    user = get_user_model().objects.create_user("newbie", password="an old secret 123", is_staff=True)
    manager = Group.objects.get(name="Manager")
    response = superuser.post(f"/admin/auth/user/{user.pk}/change/", {
        "username": "newbie", "is_active": "on", "is_staff": "on", "groups": [str(manager.pk)],
        "date_joined_0": "2026-11-25", "date_joined_1": "10:00:00",
        "initial-date_joined_0": "2026-11-25", "initial-date_joined_1": "10:00:00",
    })
    assert response.status_code == 302
    event = AuditEvent.objects.get(actor_user=superuser.user, action="user.update", object_id=str(user.pk))
    assert event.before["groups"] == [] and event.after["groups"] == [manager.pk]
    assert "password" not in json.dumps([event.before, event.after])


def test_adding_a_staff_user_is_audited_without_the_password_hash(superuser):
    response = superuser.post("/admin/auth/user/add/", {
        "username": "temp2", "usable_password": "true",
        "password1": "a long enough secret 123", "password2": "a long enough secret 123",
    })
    assert response.status_code == 302
    user = get_user_model().objects.get(username="temp2")
    event = AuditEvent.objects.get(actor_user=superuser.user, action="user.create", object_id=str(user.pk))
    assert user.password not in json.dumps(event.after)
    assert "password" not in event.after


def test_a_password_reset_by_a_superuser_is_audited_as_a_fact_only(superuser):
    user = get_user_model().objects.create_user("newbie", password="an old secret 123", is_staff=True)
    old_hash = user.password
    response = superuser.post(f"/admin/auth/user/{user.pk}/password/", {
        "usable_password": "true", "password1": "a new long secret 456", "password2": "a new long secret 456",
    })
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password != old_hash
    event = AuditEvent.objects.get(actor_user=superuser.user, action="user.password", object_id=str(user.pk))
    dumped = json.dumps([event.before, event.after, event.note])
    assert user.password not in dumped and old_hash not in dumped
