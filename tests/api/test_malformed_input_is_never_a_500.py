"""Bad JSON, wrong types, huge strings and hostile bodies are 4xx with a reason, never a 500, and
store nothing."""

import json

import pytest

from offers.models import Cancellation
from waitlist.models import Location, Patient, WaitlistEntry

from .conftest import API

pytestmark = pytest.mark.django_db

WRITABLE = ["locations/", "providers/", "appointment-types/", "patients/", "waitlist/", "cancellations/"]


def raw(client, path, payload: bytes | str, content_type="application/json"):
    return client.generic("POST", API + path, payload, content_type=content_type)


@pytest.mark.parametrize("path", WRITABLE)
@pytest.mark.parametrize("payload", [
    b"{", b"not json", b"", b"[]", b"null", b"42", b'"text"', b"NaN", b'{"a": Infinity}', b"\xff\xfe\x00",
    b"[" * 5000 + b"]" * 5000, b'{"name": "\\ud800"}',
], ids=["truncated", "text", "empty", "list", "null", "number", "string", "nan", "infinity", "binary",
        "deep", "lone-surrogate"])
def test_bad_json_is_a_400(integration, path, payload):
    response = raw(integration, path, payload)
    assert response.status_code == 400, response.content[:200]
    assert response.json()


@pytest.mark.parametrize("path", WRITABLE)
def test_a_body_that_is_not_json_is_a_415(integration, path):
    response = raw(integration, path, "name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_an_oversized_body_is_a_400(integration):
    response = raw(integration, "locations/", json.dumps({"name": "x" * 400_000, "sms_name": "x"}))
    assert response.status_code == 400


WRONG_TYPES = [None, True, 1.5, -1, 2**70, "x" * 100_000, [], {}, [1, [2]], {"$gt": ""}, "\x00", "1; DROP TABLE"]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=[repr(v)[:20] for v in WRONG_TYPES])
@pytest.mark.parametrize("field", ["provider", "location", "start_at", "duration_minutes", "appointment_type",
                                   "reason", "external_id"])
def test_wrong_types_in_a_cancellation_are_4xx(integration, clinic, field, value):
    loc, prov, _ = clinic
    body = {"provider": prov.pk, "location": loc.pk, "start_at": "2026-11-26T14:00:00-06:00", field: value}
    response = integration.post(API + "cancellations/", body, format="json")
    assert response.status_code < 500
    if response.status_code == 400:
        assert isinstance(response.json(), dict)


@pytest.mark.parametrize("value", WRONG_TYPES, ids=[repr(v)[:20] for v in WRONG_TYPES])
@pytest.mark.parametrize("field", ["patient", "visit_minutes", "urgent", "manual_boost", "providers", "weekdays",
                                   "provider_kinds", "earliest_time", "current_appointment_at", "ready_from",
                                   "min_notice_hours", "joined_at"])
def test_wrong_types_in_an_entry_are_4xx(integration, clinic, field, value):
    from tests import factories as f

    patient = f.patient()
    response = integration.post(API + "waitlist/", {"patient": patient.pk, field: value}, format="json")
    assert response.status_code < 500


@pytest.mark.parametrize("value", WRONG_TYPES, ids=[repr(v)[:20] for v in WRONG_TYPES])
@pytest.mark.parametrize("field", ["first_name", "phone", "relationship", "language", "consent_source",
                                   "consent_at", "external_id"])
def test_wrong_types_in_a_patient_are_4xx(integration, clock, field, value):
    body = {"first_name": "A", "last_name": "B", "phone": "+13125550123", field: value}
    response = integration.post(API + "patients/", body, format="json")
    assert response.status_code < 500


@pytest.mark.parametrize("value", WRONG_TYPES, ids=[repr(v)[:20] for v in WRONG_TYPES])
@pytest.mark.parametrize("field", ["name", "sms_name", "time_zone", "cutoff_minutes", "external_id"])
def test_wrong_types_in_a_location_are_4xx(integration, field, value):
    response = integration.post(API + "locations/", {"name": "A", "sms_name": "A", field: value}, format="json")
    assert response.status_code < 500


def test_huge_strings_are_refused_and_nothing_is_stored(integration, clinic):
    loc, prov, _ = clinic
    huge = "é" * 50_000
    responses = [
        integration.post(API + "patients/", {"first_name": huge, "last_name": "B", "phone": "+13125550123"},
                         format="json"),
        integration.post(API + "cancellations/", {"provider": prov.pk, "location": loc.pk,
                                                  "start_at": "2026-11-26T14:00:00-06:00", "reason": huge},
                         format="json"),
        integration.post(API + "locations/", {"name": huge, "sms_name": "x"}, format="json"),
    ]
    assert [r.status_code for r in responses] == [400, 400, 400]
    assert not Patient.objects.exists() and not Cancellation.objects.exists()
    assert Location.objects.count() == 1


@pytest.mark.parametrize("query", ["page=abc", "page=-1", "page_size=100000", "external_id=" + "x" * 5000,
                                   "patient=99999999999999999999999", "active=%00"])
def test_hostile_query_strings_are_never_a_500(integration, db, query):
    assert integration.get(API + "waitlist/?" + query).status_code < 500


@pytest.mark.parametrize("pk", ["0", "99999999999999999999999", "-1", "abc", "%00"])
def test_hostile_ids_in_the_path_are_404(integration, db, pk):
    assert integration.get(API + f"waitlist/{pk}/").status_code == 404


def test_a_metrics_query_with_bad_dates_is_a_400(integration, db):
    assert integration.get(API + "metrics/?from=yesterday").status_code == 400
    assert integration.get(API + "metrics/?from=2026-11-30&to=2026-11-01").status_code == 400
    assert integration.get(API + "metrics/?from=2020-01-01&to=2026-11-01").status_code == 400
    assert integration.get(API + "metrics/?provider=abc").status_code == 400
    assert integration.get(API + "metrics/?appointment_type=%00").status_code == 400


def test_nothing_was_stored_by_any_refused_request(integration, db):
    raw(integration, "waitlist/", b'{"patient": "\\ud800"}')
    assert not WaitlistEntry.objects.exists()
