"""A push that leaves out `language` or `relationship` keeps the stored values (docs/API.md: omitted
fields and absent columns keep what is stored). They used to fall back to `en`/`self`, so a
Spanish-speaking guardian's next offer went out in English after any nightly sync."""

import pytest

from waitlist.imports import import_waitlist_csv
from waitlist.models import Patient

from ..imports.conftest import csv_bytes
from .conftest import API

pytestmark = pytest.mark.django_db

GUARDIAN = {"first_name": "Rosa", "last_name": "Diaz", "phone": "(312) 555-0131", "relationship": "guardian",
            "language": "es", "consent_source": "written", "consent_at": "2026-11-20T09:00:00-06:00",
            "external_id": "MRN-31"}


def _stored() -> tuple[str, str]:
    patient = Patient.objects.get(external_id="MRN-31")
    return patient.language, patient.relationship


def test_an_api_push_without_language_or_relationship_keeps_them(integration, clock):
    assert integration.post(API + "patients/", GUARDIAN, format="json").status_code == 201
    slim = {k: v for k, v in GUARDIAN.items() if k not in ("language", "relationship")}
    response = integration.post(API + "patients/", {**slim, "last_name": "Diaz-Ruiz"}, format="json")
    assert response.status_code == 200, response.json()
    assert _stored() == ("es", "guardian")
    assert Patient.objects.get(external_id="MRN-31").last_name == "Diaz-Ruiz"


def test_an_api_put_without_language_or_relationship_keeps_them(integration, clock):
    pk = integration.post(API + "patients/", GUARDIAN, format="json").json()["id"]
    slim = {k: v for k, v in GUARDIAN.items() if k not in ("language", "relationship")}
    assert integration.put(API + f"patients/{pk}/", slim, format="json").status_code == 200
    assert _stored() == ("es", "guardian")


def test_a_new_patient_without_them_is_english_and_self(integration, clock):
    slim = {k: v for k, v in GUARDIAN.items() if k not in ("language", "relationship")}
    assert integration.post(API + "patients/", slim, format="json").status_code == 201
    assert _stored() == ("en", "self")


def test_a_csv_without_those_columns_keeps_them(integration, clinic, clock):
    integration.post(API + "patients/", GUARDIAN, format="json")
    report = import_waitlist_csv(file=csv_bytes(
        "External ID,Patient External ID,First Name,Last Name,Phone",
        "WL-31,MRN-31,Rosa,Diaz,(312) 555-0131",
    ))
    assert report.errors == [] and [r.outcome for r in report.rows] == ["created"]
    assert _stored() == ("es", "guardian")
