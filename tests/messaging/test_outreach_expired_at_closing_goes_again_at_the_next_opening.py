"""Outreach valid only until the sending hours close can still be in Twilio's queue then (a late
import's welcomes): Twilio fails it with 30036. That is our own cut-off, not a failing sender, so it
never pauses outreach; and the text goes again at the next opening, as a text held for the window."""

import datetime as dt

import pytest

from messaging import services
from messaging.models import Message, PhoneNumber, SenderHealth
from tests.conftest import CHICAGO

pytestmark = pytest.mark.django_db

EVENING = dt.datetime(2026, 11, 25, 19, 55, tzinfo=CHICAGO)  # SENDING_HOURS default: 08:00-20:00
MORNING = dt.datetime(2026, 11, 26, 8, 0, tzinfo=CHICAGO)


def test_welcomes_expired_at_closing_do_not_pause_the_sender_and_are_sent_again_the_next_morning(
    clock, sms, settle, settings
):
    sms.plays_provider = False  # Twilio's callbacks are played below
    clock.set(EVENING)
    numbers = [f"+1312555150{i}" for i in range(settings.SENDER_FAILURE_THRESHOLD + 1)]
    phones = [services.phone_get_or_create(raw=n) for n in numbers]
    # welcomes go to numbers with consent on record (outreach without it is never sent)
    PhoneNumber.objects.filter(pk__in=[p.pk for p in phones]).update(consent_at=EVENING - dt.timedelta(days=1))
    welcomes = [services.message_enqueue(phone=p, template="welcome", respects_window=True) for p in phones]
    settle()
    clock.set(EVENING + dt.timedelta(minutes=5, seconds=1))
    for message in welcomes:
        message.refresh_from_db()
        services.status_apply(sid=message.provider_sid, status="failed", error_code="30036")
    assert not SenderHealth.objects.filter(paused=True).exists()

    again = Message.objects.filter(kind="welcome", send_state="queued")
    assert sorted(again.values_list("phone__e164", flat=True)) == sorted(numbers)
    assert set(again.values_list("next_attempt_at", flat=True)) == {MORNING}
    clock.set(MORNING)
    for pk in services.messages_due(at=clock()):
        services.message_release_due(message_id=pk, at=clock())
    settle()
    assert sorted(s.to for s in sms.sent[len(numbers):]) == sorted(numbers)

