"""The EHR pushes the same record twice at the same moment (a retry racing the original): exactly
one record exists afterwards, one push answers 201 and the other 200, and neither is a 5xx."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from offers.models import Cancellation
from tests import factories as f
from tests.offers._support import SLOT_AT, run_together
from waitlist.models import Patient, WaitlistEntry

from .conftest import API

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 6


@pytest.fixture
def key(roles):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user("ehr")
    user.groups.add(Group.objects.get(name="Integration"))
    return AuthToken.objects.create(user=user)[1]


def push(key, path, body):
    def job():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client.post(API + path, body, format="json").status_code

    return job


def test_a_patient_pushed_twice_at_once_is_one_patient(key, clock):
    for n in range(ROUNDS):
        body = {"first_name": "Twin", "last_name": f"Push{n}", "phone": f"+1312555{2000 + n}",
                "consent_source": "written", "external_id": f"MRN-R{n}"}
        codes = run_together(push(key, "patients/", body), push(key, "patients/", body))
        assert sorted(codes) == [200, 201], codes
        assert Patient.objects.filter(external_id=f"MRN-R{n}").count() == 1


def test_an_entry_pushed_twice_at_once_is_one_entry(key, clock):
    patient = f.patient()
    for n in range(ROUNDS):
        body = {"patient": patient.pk, "external_id": f"WL-R{n}"}
        codes = run_together(push(key, "waitlist/", body), push(key, "waitlist/", body))
        assert sorted(codes) == [200, 201], codes
        assert WaitlistEntry.objects.filter(external_id=f"WL-R{n}").count() == 1


def test_a_cancellation_pushed_twice_at_once_is_one_slot(key, clinic, settings):
    import datetime as dt

    loc, prov, _ = clinic
    for n in range(ROUNDS):
        body = {"provider": prov.pk, "location": loc.pk, "external_id": f"C-R{n}",
                "start_at": (SLOT_AT + dt.timedelta(hours=n)).isoformat()}
        codes = run_together(push(key, "cancellations/", body), push(key, "cancellations/", body))
        assert sorted(codes) == [200, 201], codes
        assert Cancellation.objects.filter(external_id=f"C-R{n}").count() == 1
