"""The live board (the admin index for anyone with offers.view_board): counts at the top, open slots
with status and wave, pending offers with a countdown, fills awaiting the EHR (red when overdue),
unfilled slots and why, texts needing a person, the sender-wide pause and today's opt-outs."""

import datetime as dt

import pytest

from messaging import services as messaging
from messaging.models import Message
from offers import services
from offers.models import Cancellation, Offer
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db


def _count(html: str, name: str) -> int:
    marker = f'data-count="{name}">'
    start = html.index(marker) + len(marker)
    return int(html[start:html.index("<", start)])


def test_open_slot_shows_its_wave_and_pending_offers_with_countdowns(desk, clinic, settle):
    c = offering_slot(clinic, settle)
    html = desk.get("/admin/").content.decode()
    assert "Live board" in html
    assert f'data-cancellation="{c.pk}"' in html
    assert "Offering" in html
    assert _count(html, "open") == 1
    pending = Offer.objects.filter(cancellation=c, status="pending")
    assert _count(html, "pending") == pending.count() == 3
    for offer in pending:
        assert f'data-expires-ms="{int(offer.expires_at.timestamp() * 1000)}"' in html
    # times are the location's wall clock: the slot is 3 PM in Chicago
    assert "Wed Nov 25, 3:00 PM CST" in html


def test_fill_awaiting_ehr_turns_red_only_after_the_overdue_time(desk, clinic, settle, clock, settings):
    settings.EHR_FOLLOWUP_OVERDUE_MINUTES = 60
    c = offering_slot(clinic, settle)
    services.cancellation_mark_filled_by_phone(cancellation_id=c.pk, actor=desk_actor(desk), note="called Ana")
    settle()
    html = desk.get("/admin/").content.decode()
    assert f'data-fill="{c.pk}" class=""' in html
    assert _count(html, "awaiting_ehr") == 1
    clock.advance(minutes=61)
    html = desk.get("/admin/").content.decode()
    assert f'data-fill="{c.pk}" class="cb-overdue"' in html
    assert "(1 overdue)" in html
    services.cancellation_ehr_tick(cancellation_id=c.pk, which="booked", actor=desk_actor(desk))
    services.cancellation_ehr_tick(cancellation_id=c.pk, which="released", actor=desk_actor(desk))
    html = desk.get("/admin/").content.decode()
    assert f'data-fill="{c.pk}"' not in html
    assert _count(html, "awaiting_ehr") == 0


def test_unfilled_slot_says_why_and_which_rule_excluded_most(desk, clinic, settle):
    for entry in clinic.entries:
        entry.weekdays_mask = 0b0000001  # Mondays only; the slot is a Wednesday
        entry.save(update_fields=["weekdays_mask"])
    c = clinic.slot()
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.UNFILLED
    html = desk.get("/admin/").content.decode()
    assert f'data-unfilled="{c.pk}"' in html
    assert "Nobody eligible left" in html
    assert "weekday (4)" in html


def test_texts_needing_a_person_are_listed_with_the_reason(desk, clinic, settle):
    phone = clinic.patients[0].phone
    msg, _ = messaging.inbound_record(params={"MessageSid": "SM" + "a" * 32, "From": phone.e164, "Body": "who is this?"})
    messaging.inbound_process(message_id=msg.pk)
    settle()
    msg.refresh_from_db()
    assert msg.needs_attention == "unrecognised"
    html = desk.get("/admin/").content.decode()
    assert f'data-message="{msg.pk}"' in html
    assert "unrecognised reply" in html
    assert "who is this?" in html
    assert _count(html, "attention") == 1


def test_stuck_sends_are_listed(desk, clinic, clock):
    phone = clinic.patients[1].phone
    stuck = Message.objects.create(direction="outbound", phone=phone, body="x", send_state="sending",
                                   sending_at=clock() - dt.timedelta(minutes=10), created_at=clock())
    html = desk.get("/admin/").content.decode()
    assert f'data-message="{stuck.pk}"' in html
    assert "stuck sending" in html


def test_todays_opt_outs_are_counted(desk, clinic, settle):
    phone = clinic.patients[2].phone
    msg, _ = messaging.inbound_record(params={"MessageSid": "SM" + "b" * 32, "From": phone.e164, "Body": "STOP"})
    messaging.inbound_process(message_id=msg.pk)
    settle()
    html = desk.get("/admin/").content.decode()
    assert _count(html, "opt_outs_today") == 1
    assert phone.masked in html


def test_a_sender_wide_pause_is_announced(desk, clinic):
    messaging.sender_pause(reason="Twilio error 20003 affects the whole sender")
    html = desk.get("/admin/").content.decode()
    assert 'id="sender-paused"' in html
    assert "20003" in html
    assert "A manager can resume it" in html  # front desk cannot resume


def test_staff_without_the_board_permission_get_the_plain_index(nobody):
    response = nobody.get("/admin/")
    assert response.status_code == 200
    assert 'id="live-board"' not in response.content.decode()


def desk_actor(client):
    from core.actors import Actor

    return Actor.staff(client.user)
