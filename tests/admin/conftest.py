"""Staff console fixtures: the three roles as logged-in test clients, and a small clinic with a
waitlist. Times come from the frozen `clock` (Wed 2026-11-25 10:00 Chicago)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from tests import factories as f
from tests.conftest import T0
from waitlist.management.commands.setup_roles import FRONT_DESK, MANAGER, setup_roles

BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def roles(db, settings):
    # tests move the frozen clock by hours; the idle logout has its own tests (tests/security)
    settings.SESSION_IDLE_MINUTES = 24 * 60
    setup_roles()


def staff_client(username: str, group: str | None = None, *, superuser: bool = False) -> Client:
    user = get_user_model().objects.create_user(username=username, is_staff=True, is_superuser=superuser)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user, backend=BACKEND)
    client.user = user
    return client


@pytest.fixture
def desk(roles, clock):
    return staff_client("desk", FRONT_DESK)


@pytest.fixture
def manager(roles, clock):
    return staff_client("boss", MANAGER)


@pytest.fixture
def superuser(roles, clock):
    return staff_client("root", superuser=True)


@pytest.fixture
def nobody(roles, clock):
    """Staff with no role: can log in to the admin, may do nothing."""
    return staff_client("temp")


class Clinic:
    def __init__(self):
        self.location = f.location()
        self.atype = f.appointment_type()
        self.provider = f.provider(self.location, types=[self.atype], name="Dr. Board Test")
        self.patients = [f.patient(first=name) for name in ("Ana", "Ben", "Cleo", "Dov")]
        self.entries = [f.entry(p, self.atype) for p in self.patients]

    def slot(self, hours=5, **kw):
        return f.cancellation(self.provider, self.location, T0 + dt.timedelta(hours=hours), self.atype, **kw)


@pytest.fixture
def clinic(db, clock, settle):
    c = Clinic()
    settle()
    return c


def offering_slot(clinic: Clinic, settle, hours=5):
    """A slot whose first wave went out (offers pending)."""
    c = clinic.slot(hours=hours)
    settle()
    c.refresh_from_db()
    return c
