"""A delivery status used to be stored in one transaction and applied in the next: a crash between
the two left it stored and never applied (Twilio's repeat of it counted as a duplicate), so a failed
offer text looked sent and its slot waited out the hold. Now both happen or neither does; and a
status that arrived before its sid was known, left unattached because the send died right after
recording the sid, is attached by the sweeper."""

import datetime as dt

import pytest

from messaging import backends, services
from messaging.models import Message, StatusEvent
from offers import services as offers

from .twilio_requests import OneSidTwilio as Twilio
from .twilio_requests import new_sid

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(clock, settle):
    twilio = Twilio()
    backends.set_backend(twilio)
    message = services.message_enqueue(phone=services.phone_get_or_create(raw="+13125551701"), template="help")
    settle()
    message.refresh_from_db()
    assert message.provider_sid == twilio.sid and message.send_state == "sent"
    return message


def test_a_status_whose_apply_failed_is_applied_when_twilio_repeats_it(sent, monkeypatch):
    real = services._apply_status

    def crash(*args, **kwargs):
        monkeypatch.setattr(services, "_apply_status", real)
        raise RuntimeError("worker died")

    monkeypatch.setattr(services, "_apply_status", crash)
    with pytest.raises(RuntimeError):
        services.status_apply(sid=sent.provider_sid, status="delivered")
    assert not StatusEvent.objects.filter(provider_sid=sent.provider_sid).exists()

    assert services.status_apply(sid=sent.provider_sid, status="delivered") == "applied"
    sent.refresh_from_db()
    assert sent.status == "delivered"


def test_the_sweeper_attaches_a_status_the_send_never_picked_up(sent, clock):
    # the callback stored it before the sid was known; the send recorded the sid and died
    event = StatusEvent.objects.create(provider_sid=sent.provider_sid, status="undelivered", error_code="30003",
                                       received_at=clock() - dt.timedelta(minutes=1))

    assert offers.sweep()["statuses_attached"] == 1

    event.refresh_from_db()
    sent.refresh_from_db()
    assert event.message_id == sent.pk
    assert sent.status == "undelivered"
    assert offers.sweep()["statuses_attached"] == 0


def test_a_status_for_a_sid_nobody_recorded_stays_unattached(clock):
    StatusEvent.objects.create(provider_sid=new_sid(), status="delivered", received_at=clock() - dt.timedelta(minutes=1))
    assert offers.sweep()["statuses_attached"] == 0
    assert Message.objects.count() == 0
