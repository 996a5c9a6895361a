"""The console's entry form refuses the years the API and the imports refuse: a current appointment
in 0001 (a slip for 2001) used to be stored as typed."""

import pytest

from tests import factories as f
from waitlist.models import WaitlistEntry

from .test_waitlist_entry_form_saves_through_the_service import ADD, _form

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field, value", [
    ("current_appointment_at_0", "0001-12-01"), ("ready_from", "0001-12-01"), ("ready_from", "9999-12-31"),
])
def test_a_year_outside_the_range_is_an_error_on_the_field_and_nothing_is_stored(desk, clinic, field, value):
    patient = f.patient(first="Eve")
    over = {field: value}
    if field == "current_appointment_at_0":
        over["current_appointment_at_1"] = "09:00"
    response = desk.post(ADD, _form(clinic, patient, **over))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "from 1900 to 2200" in str(errors[field.removesuffix("_0")])
    assert not WaitlistEntry.objects.filter(patient=patient).exists()
