"""A retention ask or an offer text may wait in the outbox (for the sending hours, a retry, a
paused sender). If the number's consent is cleared meanwhile (a wrong-number report, then START,
which restores no consent) the text must not go to the number's new owner."""

import datetime as dt

import pytest

from clinicbot.sending_window import default_window
from messaging import services as messaging
from messaging.models import Message
from offers import services
from tests import factories as f
from tests.offers._support import CHICAGO, text_in

pytestmark = pytest.mark.django_db


def test_held_outreach_is_not_sent_once_the_numbers_consent_was_cleared(clock, settle, sms):
    patient = f.patient()
    phone = patient.phone
    clock.set(dt.datetime(2026, 11, 24, 21, 0, tzinfo=CHICAGO))
    window = default_window()
    opens = window.next_open(clock.current)
    ask = messaging.message_enqueue(phone=phone, template="stay_on_list", patient=patient, not_before=opens,
                                    respects_window=True)
    settle()
    text_in(phone.e164, "wrong number")
    text_in(phone.e164, "START")
    settle()
    phone.refresh_from_db()
    assert phone.consent_at is None and not phone.opted_out
    clock.set(opens + dt.timedelta(seconds=1))
    services.sweep()
    settle()
    ask.refresh_from_db()
    assert ask.send_state == Message.SendState.FAILED and ask.error_code == "local-no-consent"
    assert ask.body not in sms.bodies_to(phone.e164)


def test_an_answer_to_the_numbers_own_text_still_goes_without_consent(clock, settle, sms):
    # HELP from a number we hold no consent for is answered: that is not outreach
    text_in("+13125550444", "HELP")
    settle()
    assert sms.bodies_to("+13125550444")
