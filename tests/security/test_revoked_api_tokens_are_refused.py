"""An integration token works until it is revoked (deleted); then every API call gets 401."""

import pytest
from django.contrib.auth.models import Group, User
from knox.models import AuthToken
from rest_framework.test import APIClient

from waitlist.management.commands.setup_roles import setup_roles

pytestmark = pytest.mark.django_db

API_PATH = "/api/v1/waitlist/"


def test_a_deleted_token_is_refused():
    user = User.objects.create_user("integration", password="x" * 20)
    setup_roles()
    user.groups.add(Group.objects.get(name="Integration"))
    token, key = AuthToken.objects.create(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(API_PATH).status_code == 200
    token.delete()
    refused = api.get(API_PATH)
    assert refused.status_code == 401
    assert key not in refused.content.decode()


def test_a_made_up_token_is_refused():
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert api.get(API_PATH).status_code == 401
