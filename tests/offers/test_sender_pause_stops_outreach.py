"""When sends fail for the whole sender, outreach pauses everywhere instead of burning through the
waitlist; pending offers still run out; once staff resume, the timer picks every slot up again."""

import pytest

from core.actors import Actor
from messaging import services as messaging
from messaging.backends import SendResult
from offers import services
from offers.models import Cancellation

from ._support import SLOT_AT, clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "ops", None)


def test_no_new_wave_starts_anywhere_while_the_sender_is_paused(clock, settle, sms):
    cl = clinic()
    waiting(9)
    first = slot(cl)
    settle()
    messaging.sender_pause(reason="test: sender blocked")
    for o in pending(first):
        text_in(o.phone.e164, "no")
    second = slot(cl, start_at=SLOT_AT.replace(hour=15))
    settle()
    services.engine_tick()
    services.sweep()
    settle()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.current_wave, second.current_wave) == (1, 0)
    sent_before = len(sms.sent)

    assert messaging.sender_resume(actor=STAFF)
    services.engine_tick()
    settle()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.current_wave, second.current_wave) == (2, 1)
    assert len(sms.sent) == sent_before + 6


def test_a_sender_wide_error_pauses_outreach_after_one_wave(clock, settle, sms, settings):
    settings.OFFER_BATCH_SIZE = 2
    patients = waiting(8)
    for e in patients:
        sms.fail[e.patient.phone.e164] = SendResult(ok=False, error_code="30034", error_message="unregistered 10DLC")
    c = slot(clinic())
    settle()
    services.engine_tick()
    settle()
    c.refresh_from_db()
    assert messaging.sender_is_paused()
    assert c.current_wave == 1  # the two failed offers did not pull in the rest of the list
    assert c.status == Cancellation.Status.OFFERING
