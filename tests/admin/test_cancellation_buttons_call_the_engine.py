"""Each button on a cancellation's page calls one engine service with the staff member as the actor;
the audit trail names them."""

import datetime as dt

import pytest

from core.models import AuditEvent
from offers.models import Cancellation, Offer
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db


def act(client, c, action, **data):
    return client.post(f"/admin/offers/cancellation/{c.pk}/act/{action}/", data)


def _audited(client, action, c=None):
    events = AuditEvent.objects.filter(action=action, actor_kind="staff", actor_user=client.user)
    if c is not None:
        events = events.filter(object_id=str(c.pk))
    return events.exists()


def test_withdraw_ends_the_slot_and_its_pending_offers(desk, clinic, settle, sms):
    c = offering_slot(clinic, settle)
    response = act(desk, c, "withdraw")
    settle()
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Cancellation.Status.WITHDRAWN
    assert set(c.offers.values_list("status", flat=True)) == {"withdrawn"}
    assert _audited(desk, "cancellation.withdrawn", c)
    assert sum("no longer available" in s.body for s in sms.sent) == 3


def test_pause_holds_new_waves_and_resume_releases_them(desk, clinic, settle, clock):
    c = offering_slot(clinic, settle)
    act(desk, c, "pause")
    c.refresh_from_db()
    assert c.paused
    assert _audited(desk, "cancellation.pause", c)
    act(desk, c, "resume")
    c.refresh_from_db()
    assert not c.paused
    assert _audited(desk, "cancellation.resume", c)


def test_next_wave_now_sends_a_wave_at_once(desk, clinic, settle):
    c = offering_slot(clinic, settle)
    assert c.current_wave == 1
    response = act(desk, c, "next_wave")
    settle()
    c.refresh_from_db()
    assert c.current_wave == 2
    assert Offer.objects.filter(cancellation=c, wave=2).count() == 1  # the fourth patient
    assert _audited(desk, "cancellation.wave", c)
    assert "Sent wave 2" in desk.get(response["Location"]).content.decode()


def test_filled_by_phone_keeps_the_note(desk, clinic, settle):
    c = offering_slot(clinic, settle)
    act(desk, c, "filled_by_phone", note="Ana called back")
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    assert c.end_reason == Cancellation.EndReason.BY_PHONE
    assert c.filled_note == "Ana called back"
    assert _audited(desk, "cancellation.filled_by_phone", c)


def test_the_two_ehr_ticks_record_who_and_when(desk, clinic, settle, clock):
    c = offering_slot(clinic, settle)
    act(desk, c, "filled_by_phone", note="")
    act(desk, c, "ehr_booked", next="/admin/#ehr")
    response = act(desk, c, "ehr_released", next="/admin/#ehr")
    assert response["Location"] == "/admin/#ehr"
    c.refresh_from_db()
    assert c.ehr_booked_at == clock() and c.ehr_booked_by == "desk"
    assert c.ehr_released_at == clock() and c.ehr_released_by == "desk"
    assert _audited(desk, "cancellation.ehr_booked", c) and _audited(desk, "cancellation.ehr_released", c)


def test_an_offsite_next_address_is_ignored(desk, clinic, settle):
    c = offering_slot(clinic, settle)
    response = act(desk, c, "pause", next="https://evil.example/")
    assert response["Location"] == f"/admin/offers/cancellation/{c.pk}/change/"


def test_chain_fill_offers_the_winners_old_appointment(desk, clinic, settle, clock):
    from messaging import services as messaging

    entry = clinic.entries[0]
    entry.current_appointment_at = clock() + dt.timedelta(days=40)
    entry.current_appointment_provider = clinic.provider
    entry.current_appointment_location = clinic.location
    entry.save()
    c = offering_slot(clinic, settle)
    offer = c.offers.get(entry=entry)
    msg, _ = messaging.inbound_record(params={"MessageSid": "SM" + "c" * 32, "From": offer.phone.e164, "Body": "YES"})
    messaging.inbound_process(message_id=msg.pk)
    settle()
    response = act(desk, c, "chain_fill")
    chained = Cancellation.objects.get(chained_from=c)
    assert response["Location"] == f"/admin/offers/cancellation/{chained.pk}/change/"
    assert chained.start_at == entry.current_appointment_at
    assert AuditEvent.objects.filter(action="cancellation.create", object_id=str(chained.pk), actor_user=desk.user).exists()


def test_chain_fill_without_a_recorded_old_appointment_explains_why(desk, clinic, settle):
    c = offering_slot(clinic, settle)
    act(desk, c, "filled_by_phone", note="")
    response = act(desk, c, "chain_fill")
    page = desk.get(response["Location"]).content.decode()
    assert "Only a slot filled by a waitlist offer" in page
    assert not Cancellation.objects.filter(chained_from=c).exists()


def test_withdrawing_one_offer_tells_that_patient(desk, clinic, settle, sms):
    c = offering_slot(clinic, settle)
    offer = c.offers.first()
    act(desk, c, "withdraw_offer", offer=offer.pk)
    settle()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert "no longer available" in sms.bodies_to(offer.phone.e164)[-1]
    assert AuditEvent.objects.filter(action="offer.withdrawn", object_id=str(offer.pk), actor_user=desk.user).exists()


def test_an_offer_of_another_slot_cannot_be_withdrawn_from_here(desk, clinic, settle):
    c = offering_slot(clinic, settle)
    other = clinic.slot(hours=7)
    response = act(desk, other, "withdraw_offer", offer=c.offers.first().pk)
    assert "not part of this slot" in desk.get(response["Location"]).content.decode()
    assert c.offers.filter(status="pending").count() == 3


def test_actions_are_post_only_and_unknown_ones_404(desk, clinic, settle):
    c = offering_slot(clinic, settle)
    assert desk.get(f"/admin/offers/cancellation/{c.pk}/act/withdraw/").status_code == 405
    assert act(desk, c, "delete_everything").status_code == 404
    c.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING


def test_staff_without_the_change_permission_cannot_act(nobody, clinic, settle):
    c = offering_slot(clinic, settle)
    assert act(nobody, c, "withdraw").status_code == 403
    c.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING
