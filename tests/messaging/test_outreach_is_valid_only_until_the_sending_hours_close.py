"""Outreach that is not an offer (a welcome, the retention ask) is checked against the sending hours
when it is handed to Twilio, and then must not ride Twilio's default 10-hour queue into the night (a
long code sends about one segment a second; a late import queues thousands): it carries a validity
period that ends when the sending window closes. A text handed over seconds before closing waits
for the next opening instead."""

import datetime as dt

import pytest

from messaging import services
from messaging.models import Message
from tests.conftest import CHICAGO

pytestmark = pytest.mark.django_db


def _consented(raw: str):
    """A number with consent on record: outreach to one without it is never sent."""
    phone = services.phone_get_or_create(raw=raw)
    phone.consent_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    phone.save(update_fields=["consent_at"])
    return phone

NUMBER = "+13125551401"
# SENDING_HOURS default: 08:00-20:00 in the clinic's zone
CLOSING = dt.datetime(2026, 11, 25, 20, 0, tzinfo=CHICAGO)
MORNING = dt.datetime(2026, 11, 26, 8, 0, tzinfo=CHICAGO)


@pytest.mark.parametrize("template", ["welcome", services.STAY_ON_LIST_TEMPLATE])
def test_outreach_handed_to_twilio_at_1930_is_valid_until_2000(clock, sms, settle, template):
    clock.set(CLOSING - dt.timedelta(minutes=30))
    phone = _consented(NUMBER)
    services.message_enqueue(phone=phone, template=template, respects_window=True)
    settle()
    [sent] = sms.sent
    assert clock() + dt.timedelta(seconds=sent.validity_seconds) == CLOSING


def test_outreach_sent_in_the_morning_is_valid_until_the_evening_closing(clock, sms, settle):
    clock.set(dt.datetime(2026, 11, 25, 10, 0, 30, tzinfo=CHICAGO))
    phone = _consented(NUMBER)
    services.message_enqueue(phone=phone, template="welcome", respects_window=True)
    settle()
    [sent] = sms.sent
    assert sent.validity_seconds == (CLOSING - clock()).total_seconds() == 35970


def test_outreach_due_seconds_before_closing_waits_for_the_next_opening(clock, sms, settle):
    clock.set(CLOSING - dt.timedelta(seconds=3))
    phone = _consented(NUMBER)
    message = services.message_enqueue(phone=phone, template="welcome", respects_window=True)
    settle()
    assert sms.sent == []
    message.refresh_from_db()
    assert (message.send_state, message.next_attempt_at, message.attempts) == ("queued", MORNING, 0)
    clock.set(MORNING)
    services.message_release_due(message_id=message.pk, at=clock())
    settle()
    [sent] = sms.sent
    assert sent.validity_seconds == 12 * 3600
    assert Message.objects.get(pk=message.pk).send_state == "sent"
