"""`create_api_token USERNAME` prints a working key, creating an Integration user if needed."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.models import AuditEvent

from .conftest import API

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_new_user_is_created_in_the_integration_group_and_the_key_works(db):
    key = run("ehr")
    user = get_user_model().objects.get(username="ehr")
    assert list(user.groups.values_list("name", flat=True)) == ["Integration"]
    assert not user.has_usable_password()
    assert client_with(key).get(API + "cancellations/").status_code == 200
    assert AuditEvent.objects.filter(action="api_token.create").exists()


def test_running_it_again_prints_the_same_key(db):
    assert run("ehr") == run("ehr")


def test_rotate_replaces_the_key_and_the_old_one_stops_working(db):
    old = run("ehr")
    new = run("ehr", "--rotate")
    assert new != old
    assert client_with(old).get(API + "offers/").status_code == 401
    assert client_with(new).get(API + "offers/").status_code == 200


def test_revoke_deletes_the_key(db):
    key = run("ehr")
    run("ehr", "--revoke")
    assert client_with(key).get(API + "offers/").status_code == 401


def test_an_existing_front_desk_user_keeps_their_role(db):
    from waitlist.management.commands.setup_roles import setup_roles

    setup_roles()
    user = get_user_model().objects.create_user("desk")
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="Front desk"))
    key = run("desk")
    assert client_with(key).get(API + "metrics/").status_code == 403
    assert client_with(key).get(API + "cancellations/").status_code == 200


def test_an_inactive_user_gets_no_key(db):
    get_user_model().objects.create_user("gone", is_active=False)
    with pytest.raises(CommandError):
        run("gone")
