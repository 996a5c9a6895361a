"""Twilio's status callback can arrive while the send is recording the sid Twilio just returned. The
callback looks the sid up, finds nothing yet, and stores its status for the send to pick up; if the
send looked for such statuses before the callback stored it, neither side would ever apply it.
Both sides write first and look second, so one of them always attaches it, and only one applies it."""

import pytest

from messaging import backends, services
from messaging.models import Message, StatusEvent

from .twilio_requests import OneSidTwilio as Twilio

pytestmark = pytest.mark.django_db


def test_a_callback_that_missed_the_sid_and_stored_its_status_after_the_send_looked_is_still_applied(
    clock, settle
):
    twilio = Twilio()
    backends.set_backend(twilio)
    phone = services.phone_get_or_create(raw="+13125551601")
    message = services.message_enqueue(phone=phone, template="help")
    # the send is due; the callback comes in now, looks the sid up (not recorded yet), and the whole
    # send, sid and look-up for early statuses included, runs before the callback stores its status
    real_create = StatusEvent.objects.create

    def store_after_the_send(**fields):
        del StatusEvent.objects.create
        settle()
        assert Message.objects.get(pk=message.pk).provider_sid == twilio.sid
        return real_create(**fields)

    StatusEvent.objects.create = store_after_the_send
    try:
        services.status_apply(sid=twilio.sid, status="delivered")
    finally:
        StatusEvent.objects.__dict__.pop("create", None)

    message.refresh_from_db()
    assert (message.send_state, message.status) == ("sent", "delivered")
    assert StatusEvent.objects.get(provider_sid=twilio.sid).message_id == message.pk
