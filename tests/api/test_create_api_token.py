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


def test_running_it_again_refuses_and_keeps_the_key_working(db):
    # the key is stored hashed: it cannot be printed again, and is not silently replaced either
    key = run("ehr")
    with pytest.raises(CommandError, match="--rotate"):
        run("ehr")
    assert client_with(key).get(API + "offers/").status_code == 200


def test_the_key_is_stored_only_as_a_digest(db):
    from knox.models import AuthToken

    key = run("ehr")
    assert key.startswith("cbk_")
    [stored] = AuthToken.objects.values_list("digest", "token_key")
    assert key not in stored[0] and len(stored[0]) == 128  # SHA-512, hex
    assert key.startswith(stored[1]) and len(stored[1]) < len(key) // 3  # a lookup prefix, not the key


def test_a_key_that_is_not_utf8_is_401_not_500(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token cbk_\xe9\xff")
    assert client.get(API + "offers/").status_code == 401


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
