"""An EHR that sends its ids as JSON numbers gets the same upsert as one that sends strings: the
identical retry updates the record instead of answering 400 "Another patient has this external_id"."""

import pytest

from waitlist.models import Patient

from .conftest import API, later

pytestmark = pytest.mark.django_db


def test_a_numeric_external_id_pushed_twice_is_an_upsert(integration, clinic):
    loc, prov, atype = clinic
    body = {"first_name": "Ana", "last_name": "Diaz", "phone": "+13125550199", "consent_source": "written",
            "external_id": 12345}
    assert integration.post(API + "patients/", body, format="json").status_code == 201
    response = integration.post(API + "patients/", body, format="json")
    assert response.status_code == 200, response.json()
    assert Patient.objects.get().external_id == "12345"
    slot = {"provider": prov.pk, "location": loc.pk, "start_at": later(30), "external_id": 777}
    assert integration.post(API + "cancellations/", slot, format="json").status_code == 201
    response = integration.post(API + "cancellations/", slot, format="json")
    assert response.status_code == 200, response.json()
