"""docs/SMS.md, "Who gets which text", row by row: for each event, who is texted, what the text
says, and whether the sending window holds it back (outreach) or not (answers to a patient's text,
news about their offer)."""

import datetime as dt

import pytest

from core.actors import Actor
from messaging import services as messaging
from messaging.models import Message
from offers import services as offers
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.conftest import CHICAGO, T0
from waitlist import services as waitlist
from waitlist.selectors import location_window

from .scenarios import slot_with_offers
from .twilio_requests import text_in

pytestmark = pytest.mark.django_db

STAFF = Actor(Actor.STAFF, "desk")
CLINIC = "Riverside Clinic"
PHONE = "(555) 010-0000"


@pytest.fixture(autouse=True)
def _clinic(settings):
    settings.CLINIC_NAME = CLINIC
    settings.CLINIC_PHONE = PHONE
    settings.TWILIO_ADVANCED_OPT_OUT = False


def _offered(settle, clock, patients=1):
    """Offers made at 10:00 by a location whose sending window closes at 10:05; the test then moves
    to 10:06, so every answer below is sent outside the window while the 7-minute holds still run."""
    c, offers_ = slot_with_offers(settle, patients=patients, sending_end=dt.time(10, 5))
    clock.advance(minutes=6)
    assert not location_window(c.location).is_open(clock())
    return c, offers_


def _texts(sms, number, since=0):
    return sms.bodies_to(number)[since:]


def _new_patient(number, first="Zed", language="en"):
    patient, _ = waitlist.patient_upsert(
        actor=STAFF, first_name=first, last_name="Quill", phone=number, consent_source="written", language=language,
    )
    return patient


# --- outreach: the sending window applies -------------------------------------------------------------


def row_joined_the_waitlist(client, clock, sms, settle, settings):
    patient = _new_patient("+13125550601")
    f.entry(patient)
    f.entry(patient, atype=f.appointment_type("physical"))  # a second entry: no second welcome
    settle()
    [welcome] = _texts(sms, "+13125550601")
    for words in (CLINIC, "waitlist", "offers expire", "Reply STOP to opt out"):
        assert words in welcome


def row_joined_the_waitlist_after_hours_waits_for_the_window(client, clock, sms, settle, settings):
    clock.set(T0.replace(hour=21, minute=30))
    patient = _new_patient("+13125550602")
    f.entry(patient)
    settle()
    assert _texts(sms, "+13125550602") == []
    message = Message.objects.get(phone=patient.phone, kind="welcome")
    assert message.next_attempt_at == dt.datetime(2026, 11, 26, 8, 0, tzinfo=CHICAGO)
    clock.set(dt.datetime(2026, 11, 26, 8, 0, tzinfo=CHICAGO))
    for pk in messaging.messages_due(at=clock()):
        messaging.message_release_due(message_id=pk, at=clock())
    settle()
    assert len(_texts(sms, "+13125550602")) == 1


def row_a_waves_offer(client, clock, sms, settle, settings):
    c, [offer] = slot_with_offers(settle)
    [text] = _texts(sms, offer.phone.e164)
    # the slot is at 3:00 PM; the 7-minute hold from 10:00 ends at 10:07
    for words in ("Wed Nov 25 3:00 PM", c.provider.sms_name, c.location.sms_name, "Reply YES by 10:07 AM", "NO to pass"):
        assert words in text
    assert offer.patient.first_name not in text and offer.patient.last_name not in text


def row_a_waves_offer_after_hours_waits_for_the_window(client, clock, sms, settle, settings):
    clock.set(T0.replace(hour=20, minute=30))
    loc = f.location()
    prov = f.provider(loc)
    patient = f.patient()
    f.entry(patient)
    c = f.cancellation(prov, loc, dt.datetime(2026, 11, 26, 15, 0, tzinfo=CHICAGO))
    settle()
    assert _texts(sms, patient.phone.e164) == []
    clock.set(dt.datetime(2026, 11, 26, 8, 0, tzinfo=CHICAGO))
    offers.engine_tick()
    settle()
    assert "Reply YES by 8:07 AM" in _texts(sms, patient.phone.e164)[0]
    c.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING


# --- news about a patient's offer and answers to their texts: no window ------------------------------


def row_accept_wins(client, clock, sms, settle, settings):
    c, [winner, other] = _offered(settle, clock, patients=2)
    text_in(client, winner.phone.e164, "yes")
    settle()
    confirmed = _texts(sms, winner.phone.e164)[-1]
    for words in ("Wed Nov 25 3:00 PM", c.location.address, "arrive 15 minutes early", f"call {PHONE}"):
        assert words in confirmed
    # this winner has no later appointment to give up (tests/offers/test_texts_speak_of_a_current_...)
    assert "later appointment" not in confirmed
    assert "you are booked" not in " ".join(_texts(sms, other.phone.e164))


def row_no_longer_available(client, clock, sms, settle, settings, how):
    c, [first, second] = _offered(settle, clock, patients=2)
    if how == "superseded":
        text_in(client, first.phone.e164, "YES")
    elif how == "withdrawn":
        offers.cancellation_withdraw(cancellation_id=c.pk, actor=STAFF)
    else:
        offers.cancellation_mark_filled_by_phone(cancellation_id=c.pk, actor=STAFF)
    settle()
    told = [second] if how == "superseded" else [first, second]
    for offer in told:
        notice = _texts(sms, offer.phone.e164)[-1].lower()
        # the slot is gone (taken by someone, or taken back) and the patient stays on the list
        assert "no longer available" in notice or "just taken" in notice
        assert "stay on the waitlist" in notice
    assert Offer.objects.filter(cancellation=c, status="pending").count() == 0


def row_accept_after_fill_is_taken(client, clock, sms, settle, settings):
    c, [first, second] = _offered(settle, clock, patients=2)
    text_in(client, first.phone.e164, "YES")
    text_in(client, second.phone.e164, "YES")
    settle()
    taken = _texts(sms, second.phone.e164)[-1]
    assert "just taken" in taken and "stay on the waitlist" in taken and "current appointment" not in taken
    c.refresh_from_db()
    assert c.filled_offer_id == first.pk


def row_accept_after_expiry_is_expired(client, clock, sms, settle, settings):
    c, [offer] = _offered(settle, clock)
    clock.advance(minutes=2)  # 10:08: the hold ended at 10:07
    offers.engine_tick()
    settle()
    text_in(client, offer.phone.e164, "YES")
    settle()
    expired = _texts(sms, offer.phone.e164)[-1]
    assert "expired" in expired and "stay on the waitlist" in expired
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED


def row_decline(client, clock, sms, settle, settings):
    c, [decliner, other] = _offered(settle, clock, patients=2)
    before_other = len(_texts(sms, other.phone.e164))
    text_in(client, decliner.phone.e164, "No thanks")
    settle()
    ack = _texts(sms, decliner.phone.e164)[-1]
    assert "you stay on the waitlist" in ack and len(ack) <= 80
    assert len(_texts(sms, other.phone.e164)) == before_other
    decliner.refresh_from_db()
    assert decliner.status == Offer.Status.DECLINED


def row_opt_out(client, clock, sms, settle, settings):
    c, [offer] = _offered(settle, clock)
    before = len(_texts(sms, offer.phone.e164))
    text_in(client, offer.phone.e164, "STOP")
    text_in(client, offer.phone.e164, "Stop")
    settle()
    [confirmation] = _texts(sms, offer.phone.e164, before)
    assert "unsubscribed" in confirmation and "no more texts" in confirmation
    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN


def row_opt_out_under_advanced_opt_out_is_confirmed_by_twilio_not_us(client, clock, sms, settle, settings):
    settings.TWILIO_ADVANCED_OPT_OUT = True
    text_in(client, "+13125550603", "STOP", OptOutType="STOP")
    settle()
    assert _texts(sms, "+13125550603") == []
    assert messaging.phone_get_or_create(raw="+13125550603").opted_out
    # a free-text revocation is not a Twilio keyword: Twilio neither blocks nor confirms it, so we do
    text_in(client, "+13125550604", "please stop texting me")
    settle()
    [confirmation] = _texts(sms, "+13125550604")
    assert "unsubscribed" in confirmation


def row_start(client, clock, sms, settle, settings):
    patient = f.patient(phone="+13125550605")
    text_in(client, "+13125550605", "STOP")
    text_in(client, "+13125550605", "START")
    settle()
    welcome_back = _texts(sms, "+13125550605")[-1]
    assert "resubscribed" in welcome_back and "STOP" in welcome_back
    patient.phone.refresh_from_db()
    assert patient.phone.can_text


def row_help(client, clock, sms, settle, settings):
    text_in(client, "+13125550606", "help")
    settle()
    [help_text] = _texts(sms, "+13125550606")
    for words in (CLINIC, PHONE, "Reply STOP to opt out", "Msg & data rates may apply"):
        assert words in help_text


def row_help_and_start_under_advanced_opt_out_are_answered_by_twilio_not_us(client, clock, sms, settle, settings):
    settings.TWILIO_ADVANCED_OPT_OUT = True
    patient = f.patient(phone="+13125550607")
    text_in(client, "+13125550607", "HELP", OptOutType="HELP")
    text_in(client, "+13125550607", "STOP", OptOutType="STOP")
    text_in(client, "+13125550607", "START", OptOutType="START")
    settle()
    assert _texts(sms, "+13125550607") == []
    patient.phone.refresh_from_db()
    assert patient.phone.can_text  # recorded all the same
    assert patient.phone.consent_events.filter(kind="help").exists()
    # "help me please" is not a Twilio keyword: Twilio does not answer it, so we do
    text_in(client, "+13125550607", "help me please")
    settle()
    [help_text] = _texts(sms, "+13125550607")
    assert "Reply STOP to opt out" in help_text


def row_unrecognised_with_a_pending_offer(client, clock, sms, settle, settings):
    c, [offer] = _offered(settle, clock)
    before = len(_texts(sms, offer.phone.e164))
    text_in(client, offer.phone.e164, "Thank you")
    text_in(client, offer.phone.e164, "Any other times?")
    settle()
    [clarification] = _texts(sms, offer.phone.e164, before)
    for words in ("YES", "NO", "not monitored", PHONE, "911 in an emergency"):
        assert words in clarification
    inbound = Message.objects.filter(direction="inbound", phone=offer.phone)
    assert set(inbound.values_list("needs_attention", flat=True)) == {"unrecognised"}
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


def row_text_with_no_pending_offer_or_from_a_stranger(client, clock, sms, settle, settings):
    patient = f.patient(phone="+13125550607")
    for number in ("+13125550607", "+13125550608"):
        text_in(client, number, "hello?")
        text_in(client, number, "is anyone there")
    settle()
    for number in ("+13125550607", "+13125550608"):
        [generic] = _texts(sms, number)
        assert PHONE in generic and "not monitored" in generic
        assert "Patient not found" not in generic
    # a known patient's stray text is also flagged for staff; a stranger's is not
    assert set(Message.objects.filter(direction="inbound", phone=patient.phone).values_list("needs_attention", flat=True)) == {"unrecognised"}
    clock.advance(days=1, minutes=1)
    text_in(client, "+13125550608", "hello again")
    settle()
    assert len(_texts(sms, "+13125550608")) == 2


def row_twilio_start_with_yes_from_a_subscribed_number_accepts(client, clock, sms, settle, settings):
    c, [offer] = _offered(settle, clock)
    text_in(client, offer.phone.e164, "YES", OptOutType="START")
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED and c.filled_offer_id == offer.pk
    assert "you are booked" in _texts(sms, offer.phone.e164)[-1]


def row_yes_from_an_opted_out_number_does_not_resubscribe_it(client, clock, sms, settle, settings):
    c, [offer] = _offered(settle, clock)
    text_in(client, offer.phone.e164, "STOP")
    settle()
    before = len(_texts(sms, offer.phone.e164))
    text_in(client, offer.phone.e164, "YES", OptOutType="START")
    text_in(client, offer.phone.e164, "Yes")
    settle()
    offer.phone.refresh_from_db()
    assert offer.phone.opted_out
    assert _texts(sms, offer.phone.e164, before) == []
    c.refresh_from_db()
    assert c.status != Cancellation.Status.FILLED
    assert Message.objects.filter(phone=offer.phone, direction="inbound", needs_attention="opted_out_reply").count() == 2
    # staff who record consent again can re-subscribe it
    messaging.consent_record(phone=offer.phone, source="verbal", actor=STAFF, lift_opt_out=True)
    assert offer.phone.can_text


ROWS = [
    row_joined_the_waitlist,
    row_joined_the_waitlist_after_hours_waits_for_the_window,
    row_a_waves_offer,
    row_a_waves_offer_after_hours_waits_for_the_window,
    row_accept_wins,
    *[pytest.param(lambda *a, how=how: row_no_longer_available(*a, how=how), id=f"row_no_longer_available_{how}")
      for how in ("superseded", "withdrawn", "filled_by_phone")],
    row_accept_after_fill_is_taken,
    row_accept_after_expiry_is_expired,
    row_decline,
    row_opt_out,
    row_opt_out_under_advanced_opt_out_is_confirmed_by_twilio_not_us,
    row_start,
    row_help,
    row_help_and_start_under_advanced_opt_out_are_answered_by_twilio_not_us,
    row_unrecognised_with_a_pending_offer,
    row_text_with_no_pending_offer_or_from_a_stranger,
    row_twilio_start_with_yes_from_a_subscribed_number_accepts,
    row_yes_from_an_opted_out_number_does_not_resubscribe_it,
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: getattr(r, "__name__", None))
def test_who_gets_which_text(row, client, clock, sms, settle, settings):
    row(client, clock, sms, settle, settings)
