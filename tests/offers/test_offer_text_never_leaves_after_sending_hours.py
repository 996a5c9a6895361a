"""A wave made just before the location's sending hours end must not text anyone after they end:
a retry or a backlog that delays the offer's text past closing drops it (the reference texted at
night). Twilio's validity period is cut to closing too, so Twilio's own queue cannot deliver it
late. A window that runs on into the next day (24-hour sending) cuts nothing."""

import datetime as dt

import pytest

from messaging import services
from messaging.backends import SendResult
from messaging.models import Message
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.conftest import T0

pytestmark = pytest.mark.django_db

NUMBER = "+13125550931"


def _wave_at_ten(settle, sms, *, sending_end, fail_first=False):
    if fail_first:
        sms.fail[NUMBER] = SendResult(ok=False, error_code="20429", error_message="busy", transient=True)
    f.entry(f.patient(phone=NUMBER))
    loc = f.location(sending_start=dt.time(8), sending_end=sending_end)
    f.cancellation(f.provider(loc), loc, T0 + dt.timedelta(hours=5))
    settle()
    sms.fail.pop(NUMBER, None)
    return Message.objects.get(phone__e164=NUMBER, kind="offer")


def test_an_offer_text_is_valid_only_until_the_sending_hours_end(clock, sms, settle):
    _wave_at_ten(settle, sms, sending_end=dt.time(10, 5))  # T0 is 10:00, the hold 7 minutes
    [sent] = sms.sent
    assert sent.validity_seconds == 300
    offer = Offer.objects.get(phone__e164=NUMBER)
    assert offer.expires_at == T0 + dt.timedelta(minutes=7)  # the patient still has the whole hold to answer
    assert "10:07" in sent.body


def test_a_retry_due_after_closing_is_not_sent(clock, sms, settle):
    message = _wave_at_ten(settle, sms, sending_end=dt.time(10, 5), fail_first=True)
    assert sms.sent == []
    clock.advance(minutes=5, seconds=30)  # the retry comes due after 10:05
    services.message_release_due(message_id=message.pk, at=clock())
    settle()
    message.refresh_from_db()
    assert (message.send_state, message.error_code) == ("failed", "local-expired")
    assert sms.sent == []


def test_a_retry_due_before_closing_is_sent(clock, sms, settle):
    message = _wave_at_ten(settle, sms, sending_end=dt.time(10, 5), fail_first=True)
    clock.advance(seconds=services.RETRY_DELAYS[0])
    services.message_release_due(message_id=message.pk, at=clock())
    settle()
    [sent] = sms.sent
    assert sent.validity_seconds == 300 - services.RETRY_DELAYS[0]


def test_sending_around_the_clock_cuts_nothing(clock, sms, settle, settings):
    settings.SENDING_HOURS = (dt.time(0), None)
    _wave_at_ten(settle, sms, sending_end=None)
    [sent] = sms.sent
    assert sent.validity_seconds == 420
    assert Cancellation.objects.get().status == Cancellation.Status.OFFERING
