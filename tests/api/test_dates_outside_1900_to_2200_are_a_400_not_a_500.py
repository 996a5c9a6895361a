"""A date or time outside the years 1900-2200 (0001 for 2001, 9999 for "never") is refused where it
comes in, with the field named: the API's times and dates, the metrics period (API and console) and
the CSV import. Before, adding a day or applying the clinic's time zone overflowed into a 500."""

import datetime as dt
import zoneinfo

import pytest
from django.test import Client

from tests import factories as f
from tests.admin.conftest import staff_client
from waitlist import priority
from waitlist.imports import import_waitlist_csv
from waitlist.management.commands.setup_roles import MANAGER
from waitlist.models import Patient, WaitlistEntry

from .conftest import API

pytestmark = pytest.mark.django_db

TOO_EARLY = "0001-01-01T00:00:00Z"
TOO_LATE = "9999-12-31T00:00:00Z"


def _refused(response, field: str) -> str:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    message = " ".join(response.json()[field])
    assert "1900" in message and "2200" in message, message
    return message


@pytest.mark.parametrize("when", [TOO_EARLY, TOO_LATE, "1899-12-31T12:00:00-06:00", "2201-01-01T00:00:00+00:00"])
@pytest.mark.parametrize("field", ["joined_at", "current_appointment_at"])
def test_a_waitlist_time_outside_the_range_is_a_400_naming_the_field(integration, clinic, field, when):
    patient = f.patient()
    _refused(integration.post(API + "waitlist/", {"patient": patient.pk, field: when}, format="json"), field)
    assert not WaitlistEntry.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("field", ["joined_at", "current_appointment_at"])
def test_an_update_with_a_time_outside_the_range_is_a_400_and_changes_nothing(integration, clinic, method, field):
    patient = f.patient()
    created = integration.post(API + "waitlist/", {"patient": patient.pk}, format="json")
    assert created.status_code == 201, created.content
    url = f"{API}waitlist/{created.json()['id']}/"
    _refused(getattr(integration, method)(url, {"patient": patient.pk, field: TOO_EARLY}, format="json"), field)
    assert integration.get(url).json()[field] == created.json()[field]


def test_a_ready_from_date_outside_the_range_is_a_400(integration, clinic):
    patient = f.patient()
    for day in ("0001-01-01", "9999-12-31"):
        _refused(integration.post(API + "waitlist/", {"patient": patient.pk, "ready_from": day}, format="json"),
                 "ready_from")


@pytest.mark.parametrize("when", [TOO_EARLY, TOO_LATE])
def test_a_slot_time_outside_the_range_is_a_400(integration, clinic, when):
    loc, prov, _ = clinic
    response = integration.post(API + "cancellations/", {"provider": prov.pk, "location": loc.pk, "start_at": when},
                                format="json")
    _refused(response, "start_at")


def test_a_consent_time_outside_the_range_is_a_400(integration, clock):
    body = {"first_name": "A", "last_name": "B", "phone": "+13125550123", "consent_source": "written",
            "consent_at": TOO_EARLY}
    _refused(integration.post(API + "patients/", body, format="json"), "consent_at")
    assert not Patient.objects.exists()


@pytest.mark.parametrize("query, field", [
    ("to=9999-12-31", "to"), ("to=0001-01-05", "to"), ("from=0001-01-01&to=0001-01-05", "from"),
    ("from=9999-12-30&to=9999-12-31", "from"),
])
def test_a_metrics_period_outside_the_range_is_a_400(integration, db, query, field):
    _refused(integration.get(API + "metrics/?" + query), field)


def test_a_metrics_period_may_run_from_1900_to_2200_and_no_further(integration, db):
    assert integration.get(API + "metrics/?from=1900-01-01&to=1900-01-31").status_code == 200
    assert integration.get(API + "metrics/?from=2200-12-01&to=2200-12-31").status_code == 200
    _refused(integration.get(API + "metrics/?from=1899-12-31&to=1900-01-31"), "from")
    _refused(integration.get(API + "metrics/?from=2200-12-01&to=2201-01-01"), "to")


@pytest.mark.parametrize("query", ["start=9999-12-31&end=9999-12-31", "start=0001-01-01&end=0001-01-05"])
def test_the_console_metrics_page_refuses_a_period_outside_the_range(roles, clock, query):
    manager: Client = staff_client("boss", MANAGER)
    response = manager.get("/admin/metrics/?" + query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Give a year from 1900 to 2200" in html
    assert manager.get("/admin/metrics/?start=2200-12-31&end=2200-12-31").status_code == 200


@pytest.mark.parametrize("column, cell", [("joined_at", "0001-01-01"), ("joined_at", "12/31/9999"),
                                          ("current_appointment_at", "0001-01-01 09:00"),
                                          ("current_appointment_at", "9999-12-31 23:59")])
def test_a_csv_row_with_a_date_outside_the_range_is_skipped_with_the_reason(clinic, column, cell):
    csv = (f"external_id,first_name,last_name,phone,consent_source,appointment_type,{column}\n"
           f"EHR-9,Gil,Moreno,(312) 555-0177,written,follow-up,{cell}\n")
    report = import_waitlist_csv(file=csv.encode())
    (row,) = report.rows
    assert row.outcome == "skipped"
    assert column in row.reason and "1900" in row.reason and "unexpected" not in row.reason, row.reason
    assert not WaitlistEntry.objects.filter(external_id="EHR-9").exists()


def test_the_ranking_score_of_a_time_at_the_ends_of_the_calendar_is_computed_not_an_error(settings):
    # the inputs refuse these years; a row saved another way must not stop the daily priority refresh
    tz = zoneinfo.ZoneInfo("America/Chicago")
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    latest = dt.datetime.max.replace(tzinfo=dt.UTC)
    today = dt.date(2026, 11, 25)
    score, breakdown = priority.compute(urgent=False, manual_boost=0, current_appointment_at=latest,
                                        joined_at=earliest, today=today, tz=tz)
    assert breakdown["current_appointment"] == settings.PRIORITY_WEIGHTS["appt_180_plus"]
    assert breakdown["time_on_list"] == settings.PRIORITY_WEIGHTS["days_cap"]
    assert score == breakdown["total"]
