"""An offer that expires in 7 minutes must not be delivered an hour late: its text carries Twilio's
validity_period = the hold still remaining when it is handed over, and is not sent at all once the
hold has ended."""

import datetime as dt

import pytest

from messaging import services
from messaging.backends import SendResult
from messaging.models import Message
from offers.models import Offer
from tests import factories as f
from tests.conftest import T0

from .scenarios import slot_with_offers
from .twilio_requests import real_twilio_backend, text_in

pytestmark = pytest.mark.django_db


def test_an_offer_text_is_valid_for_exactly_its_hold(clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    [sent] = sms.sent
    assert sent.validity_seconds == (offer.expires_at - offer.sent_at).total_seconds() == 420


def _offer_whose_first_send_fails(settle, sms, number):
    sms.fail[number] = SendResult(ok=False, error_code="20429", error_message="busy", transient=True)
    f.entry(f.patient(phone=number))
    loc = f.location()
    f.cancellation(f.provider(loc), loc, T0 + dt.timedelta(hours=5))
    settle()
    assert sms.sent == []
    del sms.fail[number]
    return Message.objects.get(phone__e164=number, kind="offer")


def test_a_retried_offer_text_is_valid_only_for_what_remains_of_the_hold(clock, sms, settle):
    message = _offer_whose_first_send_fails(settle, sms, "+13125550901")
    clock.advance(seconds=services.RETRY_DELAYS[0])
    services.message_release_due(message_id=message.pk, at=clock())
    settle()
    [sent] = sms.sent
    assert sent.validity_seconds == 420 - services.RETRY_DELAYS[0]


def test_an_offer_text_still_queued_when_its_hold_ends_is_never_sent(clock, sms, settle):
    message = _offer_whose_first_send_fails(settle, sms, "+13125550902")
    # the retry comes due only after the hold ended (a backlog of workers, a long outage)
    clock.advance(minutes=7)
    services.message_release_due(message_id=message.pk, at=clock())
    settle()
    message.refresh_from_db()
    assert (message.send_state, message.error_code) == ("failed", "local-expired")
    assert sms.sent == []
    assert Offer.objects.get(phone=message.phone).status != Offer.Status.PENDING


def test_replies_carry_no_validity_period(client, clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    text_in(client, offer.phone.e164, "YES")
    settle()
    assert [s.validity_seconds for s in sms.sent] == [420, None]


def test_the_real_sdk_sends_the_remaining_hold_as_validity_period(clock, settle, settings):
    with real_twilio_backend(settings) as standin:
        c, [offer] = slot_with_offers(settle)
        [(_, form)] = standin.requests
    assert form["ValidityPeriod"] == "420"
    assert form["StatusCallback"] == "https://clinic.example/webhooks/twilio/status/"
    assert form["To"] == offer.phone.e164 and "Reply YES" in form["Body"]
