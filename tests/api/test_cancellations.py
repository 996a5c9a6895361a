"""Cancellations through the API: logged through the same validation as the admin, upserted by
external_id, frozen once offers went out (409), and driven by the engine's staff actions."""

import datetime as dt

import pytest

from core.models import AuditEvent
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.offers._support import SLOT_AT, text_in, waiting
from waitlist.models import Location

from .conftest import API, later

pytestmark = pytest.mark.django_db


def body(clinic, **extra):
    loc, prov, _ = clinic
    return {"provider": prov.pk, "location": loc.pk, "start_at": SLOT_AT.isoformat(), **extra}


def post(client, data):
    return client.post(API + "cancellations/", data, format="json")


def test_a_minimal_cancellation_takes_the_default_type_and_its_length_and_starts_outreach(
    integration, clinic, settle
):
    _, _, atype = clinic
    waiting(3)
    response = post(integration, body(clinic))
    assert response.status_code == 201, response.json()
    got = response.json()
    assert got["appointment_type"] == atype.code and got["duration_minutes"] == atype.default_minutes
    assert got["status"] == "open" and got["offers"] == []
    settle()
    c = Cancellation.objects.get(pk=got["id"])
    assert c.status == Cancellation.Status.OFFERING
    assert c.logged_by == integration.user.username
    detail = integration.get(API + f"cancellations/{c.pk}/").json()
    assert sorted(detail["offers"]) == sorted(Offer.objects.filter(cancellation=c).values_list("pk", flat=True))
    assert AuditEvent.objects.get(action="cancellation.create").actor_user_id == integration.user.pk


def test_a_start_time_without_an_offset_is_a_400(integration, clinic):
    response = post(integration, body(clinic, start_at="2026-11-26T14:00:00"))
    assert response.status_code == 400
    assert "offset" in response.json()["start_at"][0]


def test_a_slot_in_the_past_is_a_400(integration, clinic):
    response = post(integration, body(clinic, start_at=later(-1)))
    assert response.status_code == 400
    assert "start_at" in response.json()


def test_a_provider_who_does_not_work_at_the_location_is_a_400(integration, clinic):
    elsewhere = Location.objects.create(name="Far", sms_name="Far")
    response = post(integration, body(clinic, location=elsewhere.pk))
    assert response.status_code == 400
    assert "does not work at" in response.json()["location"][0]


def test_a_provider_who_does_not_take_the_type_is_a_400(integration, clinic):
    other = f.appointment_type("physical", 40)
    response = post(integration, body(clinic, appointment_type=other.code))
    assert response.status_code == 400
    assert "appointment_type" in response.json()


def test_a_duplicate_of_a_live_slot_is_a_400(integration, clinic):
    assert post(integration, body(clinic)).status_code == 201
    response = post(integration, body(clinic))
    assert response.status_code == 400
    assert "already logged" in response.json()["start_at"][0]


def test_the_same_slot_pushed_twice_is_200_and_one_record(integration, clinic):
    first = post(integration, body(clinic, external_id="EHR-1"))
    assert first.status_code == 201
    again = post(integration, body(clinic, external_id="EHR-1"))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Cancellation.objects.count() == 1


def test_an_open_slot_may_move(integration, clinic, clock):
    # logged before the sending window opens, so it is still open (no offers yet)
    clock.set(SLOT_AT.replace(day=25, hour=6))
    created = post(integration, body(clinic, external_id="EHR-2")).json()
    assert created["status"] == "open"
    moved = (SLOT_AT + dt.timedelta(hours=1)).isoformat()
    response = post(integration, body(clinic, external_id="EHR-2", start_at=moved))
    assert response.status_code == 200, response.json()
    assert Cancellation.objects.get(pk=created["id"]).start_at == SLOT_AT + dt.timedelta(hours=1)
    event = AuditEvent.objects.get(action="cancellation.update")
    assert event.actor_user_id == integration.user.pk and "start_at" in event.after


@pytest.mark.parametrize("change", ["start_at", "provider", "location"])
def test_an_offering_slot_refuses_changes_to_time_provider_or_location_with_409(integration, clinic, settle,
                                                                               change):
    loc, prov, atype = clinic
    waiting(2)
    created = post(integration, body(clinic, external_id="EHR-3")).json()
    settle()
    assert Cancellation.objects.get(pk=created["id"]).status == Cancellation.Status.OFFERING
    other_loc = Location.objects.create(name="Second", sms_name="Second")
    other_prov = f.provider(loc, types=[atype])
    other_prov.locations.add(other_loc)
    prov.locations.add(other_loc)
    new = {"start_at": (SLOT_AT + dt.timedelta(hours=2)).isoformat(), "provider": other_prov.pk,
           "location": other_loc.pk}[change]
    response = integration.patch(API + f"cancellations/{created['id']}/", {change: new}, format="json")
    assert response.status_code == 409
    assert "withdraw" in response.json()["detail"].lower()
    upsert = post(integration, body(clinic, external_id="EHR-3", **{change: new}))
    assert upsert.status_code == 409
    c = Cancellation.objects.get(pk=created["id"])
    assert (c.start_at, c.provider_id, c.location_id) == (SLOT_AT, prov.pk, loc.pk)


def test_an_offering_slot_still_takes_a_new_reason(integration, clinic, settle):
    waiting(1)
    created = post(integration, body(clinic)).json()
    settle()
    response = integration.patch(API + f"cancellations/{created['id']}/", {"reason": "patient sick"},
                                 format="json")
    assert response.status_code == 200
    assert response.json()["reason"] == "patient sick"


def test_an_offering_slot_pushed_again_unchanged_is_200(integration, clinic, settle):
    waiting(1)
    post(integration, body(clinic, external_id="EHR-4"))
    settle()
    assert post(integration, body(clinic, external_id="EHR-4")).status_code == 200


def test_withdraw_ends_pending_offers_and_a_second_withdraw_is_409(integration, clinic, settle):
    waiting(2)
    created = post(integration, body(clinic)).json()
    settle()
    url = API + f"cancellations/{created['id']}/withdraw/"
    response = integration.post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert not Offer.objects.filter(cancellation_id=created["id"], status="pending").exists()
    assert integration.post(url).status_code == 409


def test_pause_and_resume(integration, clinic, settle):
    waiting(1)
    created = post(integration, body(clinic)).json()
    settle()
    url = API + f"cancellations/{created['id']}/"
    assert integration.post(url + "pause/").json()["paused"] is True
    assert integration.post(url + "pause/").status_code == 409
    assert integration.post(url + "resume/").json()["paused"] is False
    assert integration.post(url + "resume/").status_code == 409
    assert AuditEvent.objects.filter(action="cancellation.pause", actor_user=integration.user).exists()


def test_mark_filled_records_the_note(integration, clinic, settle):
    waiting(2)
    created = post(integration, body(clinic)).json()
    settle()
    response = integration.post(API + f"cancellations/{created['id']}/mark-filled/",
                                {"note": "booked on the phone"}, format="json")
    assert response.status_code == 200
    c = Cancellation.objects.get(pk=created["id"])
    assert (c.status, c.end_reason, c.filled_note) == ("filled", "by_phone", "booked on the phone")
    assert set(Offer.objects.filter(cancellation=c).values_list("status", flat=True)) == {"superseded"}


def test_mark_filled_with_a_huge_note_is_a_400(integration, clinic):
    created = post(integration, body(clinic)).json()
    response = integration.post(API + f"cancellations/{created['id']}/mark-filled/", {"note": "x" * 5000},
                                format="json")
    assert response.status_code == 400
    assert "note" in response.json()


def test_next_wave_sends_more_offers_now(integration, clinic, settle):
    waiting(6)
    created = post(integration, body(clinic)).json()
    settle()
    before = Offer.objects.filter(cancellation_id=created["id"]).count()
    response = integration.post(API + f"cancellations/{created['id']}/next-wave/")
    assert response.status_code == 200
    settle()
    assert response.json()["current_wave"] == 2
    assert Offer.objects.filter(cancellation_id=created["id"]).count() > before


def test_next_wave_with_nobody_left_is_409(integration, clinic, settle):
    created = post(integration, body(clinic)).json()
    settle()
    response = integration.post(API + f"cancellations/{created['id']}/next-wave/")
    assert response.status_code == 409


def test_the_ehr_ticks_after_a_fill(integration, clinic, settle):
    waiting(1)
    created = post(integration, body(clinic)).json()
    settle()
    offer = Offer.objects.get(cancellation_id=created["id"])
    text_in(offer.phone.e164, "YES")
    settle()
    url = API + f"cancellations/{created['id']}/"
    assert integration.get(url).json()["status"] == "filled"
    assert integration.post(url + "ehr-booked/").json()["ehr_booked_at"] is not None
    assert integration.post(url + "ehr-booked/").status_code == 409
    assert integration.post(url + "ehr-released/").json()["ehr_released_at"] is not None


@pytest.mark.parametrize("action", ["withdraw", "pause", "resume", "mark-filled", "next-wave", "ehr-booked"])
def test_an_action_on_an_unknown_cancellation_is_404(integration, db, action):
    assert integration.post(API + f"cancellations/424242/{action}/", {}, format="json").status_code == 404


def test_cancellations_filter_by_status(integration, clinic, settle):
    waiting(1)
    post(integration, body(clinic))
    settle()
    assert integration.get(API + "cancellations/?status=offering").json()["count"] == 1
    assert integration.get(API + "cancellations/?status=filled").json()["count"] == 0
    assert integration.get(API + "cancellations/?status=nonsense").status_code == 400
