"""Outreach that is not an offer (a welcome, the retention ask) respects the sending hours when it is
queued; a retry or a backlog that pushes its send past closing must not text at night: it waits for
the window to open again, and then goes once."""

import datetime as dt

import pytest

from messaging import services
from messaging.backends import SendResult
from messaging.models import Message
from tests.conftest import CHICAGO

pytestmark = pytest.mark.django_db


def _consented(raw: str):
    """A number with consent on record: outreach to one without it is never sent."""
    phone = services.phone_get_or_create(raw=raw)
    phone.consent_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    phone.save(update_fields=["consent_at"])
    return phone

NUMBER = "+13125550941"
EVENING = dt.datetime(2026, 11, 25, 19, 59, 55, tzinfo=CHICAGO)  # SENDING_HOURS default: 08:00-20:00
MORNING = dt.datetime(2026, 11, 26, 8, 0, tzinfo=CHICAGO)


def test_a_welcome_whose_retry_falls_after_closing_waits_for_the_morning(clock, sms, settle):
    clock.set(EVENING)
    sms.fail[NUMBER] = SendResult(ok=False, error_code="20429", error_message="busy", transient=True)
    phone = _consented(NUMBER)
    message = services.message_enqueue(phone=phone, template="welcome", respects_window=True)
    settle()
    del sms.fail[NUMBER]
    clock.advance(seconds=services.RETRY_DELAYS[0])  # 20:00:05
    services.message_release_due(message_id=message.pk, at=clock())
    settle()
    assert sms.sent == []
    message.refresh_from_db()
    assert (message.send_state, message.next_attempt_at) == ("queued", MORNING)
    assert message.attempts == 1  # the wait for the window is not an attempt

    clock.set(MORNING)
    assert services.messages_due(at=clock()) == [message.pk]
    services.message_release_due(message_id=message.pk, at=clock())
    settle()
    assert [s.to for s in sms.sent] == [NUMBER]
    assert Message.objects.get(pk=message.pk).send_state == "sent"


def test_a_reply_to_the_patient_goes_at_any_hour(clock, sms, settle):
    clock.set(EVENING + dt.timedelta(hours=2))
    phone = _consented(NUMBER)
    services.message_enqueue(phone=phone, template="help", auto_reply=True)
    settle()
    assert [s.to for s in sms.sent] == [NUMBER]
