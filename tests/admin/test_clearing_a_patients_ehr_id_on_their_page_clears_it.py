"""Staff could not remove a wrong EHR id: the page said "saved", the audit showed no change, and
the wrong id kept matching the EHR's pushes to this patient."""

import pytest

from waitlist.models import Patient

pytestmark = pytest.mark.django_db


def _post(desk, ana, external_id: str):
    return desk.post(f"/admin/waitlist/patient/{ana.pk}/change/", {
        "first_name": ana.first_name, "last_name": ana.last_name, "phone_number": ana.phone.e164,
        "relationship": "self", "language": "en", "external_id": external_id, "consent_source": "",
        "entries-TOTAL_FORMS": "1", "entries-INITIAL_FORMS": "1", "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000", "entries-0-id": str(ana.entries.get().pk), "entries-0-patient": str(ana.pk),
    })


def test_clearing_the_ehr_id_on_the_patient_page_clears_it(desk, clinic):
    ana = clinic.patients[0]
    Patient.objects.filter(pk=ana.pk).update(external_id="EHR-WRONG-1")
    assert _post(desk, ana, "").status_code == 302
    ana.refresh_from_db()
    assert ana.external_id is None


def test_changing_the_ehr_id_on_the_patient_page_changes_it(desk, clinic):
    ana = clinic.patients[0]
    Patient.objects.filter(pk=ana.pk).update(external_id="EHR-WRONG-1")
    assert _post(desk, ana, "EHR-RIGHT-1").status_code == 302
    ana.refresh_from_db()
    assert ana.external_id == "EHR-RIGHT-1"
