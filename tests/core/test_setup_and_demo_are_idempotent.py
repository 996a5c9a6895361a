import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from messaging.models import PhoneNumber
from waitlist.models import Location, Patient, Provider, WaitlistEntry

pytestmark = pytest.mark.django_db


def test_setup_roles_twice_gives_the_same_groups():
    call_command("setup_roles", verbosity=0)
    first = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    call_command("setup_roles", verbosity=0)
    second = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    assert first == second
    assert set(first) == {"Front desk", "Manager", "Integration"}
    assert "view_metrics" in first["Manager"] and "view_metrics" not in first["Front desk"]


def test_demo_data_loads_twice_without_duplicates(settings, tmp_path):
    settings.DEBUG = True
    settings.BASE_DIR = tmp_path
    (tmp_path / "var").mkdir()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    counts = [Location.objects.count(), Provider.objects.count(), Patient.objects.count(),
              WaitlistEntry.objects.count(), PhoneNumber.objects.count()]
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts == [Location.objects.count(), Provider.objects.count(), Patient.objects.count(),
                      WaitlistEntry.objects.count(), PhoneNumber.objects.count()]
    assert counts[:2] == [2, 4] and counts[2] >= 25
    shared = PhoneNumber.objects.get(e164="+13125550100")
    assert shared.patients.count() == 3
    assert all(p.can_text for p in PhoneNumber.objects.all())
