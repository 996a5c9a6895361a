"""A push that changes nothing writes no change record, yet answers with the whole patient (name,
number, consent). An empty PATCH walked over the ids used to read the list with no trace: it is now
recorded as an access, as a GET is."""

import pytest

from core.models import AuditEvent

from .conftest import API
from .test_patients import ALEX

pytestmark = pytest.mark.django_db


def _accesses():
    return list(AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS, action="view:api.patient")
                .values_list("note", flat=True))


def test_an_empty_patch_is_recorded_as_an_access(integration, clock):
    pk = integration.post(API + "patients/", ALEX, format="json").json()["id"]
    response = integration.patch(API + f"patients/{pk}/", {}, format="json")
    assert response.status_code == 200 and response.json()["last_name"] == "Rivera"
    assert _accesses() == [f"patient {pk} (push, unchanged)"]


def test_an_identical_upsert_is_recorded_as_an_access(integration, clock):
    pk = integration.post(API + "patients/", ALEX, format="json").json()["id"]
    assert integration.post(API + "patients/", ALEX, format="json").status_code == 200
    assert _accesses() == [f"patient {pk} (push, unchanged)"]
