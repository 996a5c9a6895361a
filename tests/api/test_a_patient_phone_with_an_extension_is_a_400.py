"""A patient pushed with an office number and extension is a 400 naming the phone, not a patient
texted on the main line."""

import pytest

from waitlist.models import Patient

from .conftest import API

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", ["312-555-0101 ext. 22", "(312) 555-0101 x22", "3125550101#22"])
def test_a_phone_with_an_extension_is_a_400_not_the_main_line(integration, clock, raw):
    body = {"first_name": "Ana", "last_name": "Diaz", "phone": raw, "consent_source": "written"}
    response = integration.post(API + "patients/", body, format="json")
    assert response.status_code == 400, response.json()
    assert "extension" in response.json()["phone"][0]
    assert not Patient.objects.exists()
