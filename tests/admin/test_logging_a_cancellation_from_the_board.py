"""One short form on the board logs a freed slot. Date and time are the location's wall clock; the
engine's own validation decides, and its reasons are shown on the form (never a 500)."""

import datetime as dt
import zoneinfo

import pytest

from core.models import AuditEvent
from offers.models import Cancellation, Offer
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/admin/board/cancellation/"


def _post(client, clinic, **over):
    data = {
        "provider": clinic.provider.pk, "location": clinic.location.pk, "date": "2026-11-25", "time": "15:00",
        "duration_minutes": "", "appointment_type": clinic.atype.pk,
    }
    data.update(over)
    return client.post(URL, data)


def test_a_valid_slot_is_logged_in_local_time_and_outreach_starts(desk, clinic, settle):
    response = _post(desk, clinic)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    c = Cancellation.objects.get()
    assert c.start_at == dt.datetime(2026, 11, 25, 21, 0, tzinfo=dt.UTC)  # 3 PM in Chicago
    assert c.duration_minutes == clinic.atype.default_minutes  # empty: the type's usual length
    assert c.logged_by == "desk"
    assert AuditEvent.objects.filter(action="cancellation.create", actor_label="desk", actor_user=desk.user).exists()
    settle()
    assert Offer.objects.filter(cancellation=c, status="pending").count() == 3


def test_the_time_is_read_in_the_locations_own_time_zone(desk, clinic):
    east = f.location(name="Eastside", tz="America/New_York")
    clinic.provider.locations.add(east)
    _post(desk, clinic, location=east.pk, time="16:00", duration_minutes="30")
    c = Cancellation.objects.get()
    assert c.start_at.astimezone(zoneinfo.ZoneInfo("America/New_York")).hour == 16
    assert c.start_at == dt.datetime(2026, 11, 25, 21, 0, tzinfo=dt.UTC)
    assert c.duration_minutes == 30


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"time": "09:00"}, "This slot is in the past."),
        ({"time": "10:45"}, "60-minute cutoff"),
        ({"date": "", "time": ""}, "This field is required."),
        ({"provider": "nonsense"}, "Select a valid choice."),
        ({"duration_minutes": "0"}, "greater than or equal to 1"),
    ],
)
def test_bad_input_is_explained_on_the_form_and_nothing_is_stored(desk, clinic, over, message):
    response = _post(desk, clinic, **over)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Cancellation.objects.exists()


def test_a_provider_who_does_not_work_at_the_location_is_refused(desk, clinic):
    elsewhere = f.location(name="Westside")
    response = _post(desk, clinic, location=elsewhere.pk)
    assert "does not work at Westside Clinic" in response.content.decode()
    assert not Cancellation.objects.exists()


def test_a_visit_type_the_provider_does_not_take_is_refused(desk, clinic):
    other = f.appointment_type("procedure", 60)
    response = _post(desk, clinic, appointment_type=other.pk)
    assert "does not take Procedure visits" in response.content.decode()


def test_a_duplicate_of_a_live_slot_is_refused(desk, clinic, settle):
    _post(desk, clinic)
    settle()
    response = _post(desk, clinic)
    assert response.status_code == 200
    assert "already logged" in response.content.decode()
    assert Cancellation.objects.count() == 1


def test_a_wall_time_skipped_by_the_clock_change_is_refused(desk, clinic):
    # 2:30 AM did not happen in Chicago on 2027-03-14 (clocks went from 2:00 to 3:00)
    response = _post(desk, clinic, date="2027-03-14", time="02:30")
    assert "does not exist" in response.content.decode()
    assert not Cancellation.objects.exists()


def test_staff_without_the_add_permission_cannot_log_a_slot(nobody, clinic):
    assert _post(nobody, clinic).status_code == 403
    assert not Cancellation.objects.exists()


def test_the_admin_add_page_leads_to_the_board_form(desk):
    response = desk.get("/admin/offers/cancellation/add/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/#log-cancellation"
