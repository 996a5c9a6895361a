from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests import factories as f
from tests.conftest import T0
from waitlist.management.commands.setup_roles import FRONT_DESK, INTEGRATION, MANAGER, setup_roles

API = "/api/v1/"


@pytest.fixture
def roles(db):
    setup_roles()


def _client(username: str, group: str | None, *, superuser: bool = False) -> APIClient:
    User = get_user_model()
    user = User.objects.create_user(username=username, is_superuser=superuser, is_staff=superuser)
    if group:
        user.groups.add(Group.objects.get(name=group))
    token, key = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.user = user
    client.token = token
    return client


@pytest.fixture
def integration(roles):
    return _client("ehr-bridge", INTEGRATION)


@pytest.fixture
def front_desk(roles):
    return _client("desk", FRONT_DESK)


@pytest.fixture
def manager(roles):
    return _client("boss", MANAGER)


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def clinic(db, clock):
    """One location with one provider taking follow-up visits (the default type)."""
    loc = f.location()
    atype = f.appointment_type()
    prov = f.provider(loc, types=[atype])
    return loc, prov, atype


def later(hours: float) -> str:
    """An ISO time with offset, this many hours after the frozen clock."""
    return (T0 + dt.timedelta(hours=hours)).isoformat()
