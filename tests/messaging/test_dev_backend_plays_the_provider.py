"""The `dev` backend records each message and plays Twilio's part (a sid, then `sent` and
`delivered` callbacks) through the same status-handling code the real webhooks use."""

import pytest

from messaging import backends, services
from messaging.backends import DevBackend
from messaging.models import Message, StatusEvent

pytestmark = pytest.mark.django_db


def test_the_dev_backend_is_the_default_and_sends_through_the_outbox(settings, clock, settle):
    settings.SMS_BACKEND = "dev"
    backends.set_backend(None)
    assert isinstance(backends.get_backend(), DevBackend)
    phone = services.phone_get_or_create(raw="+13125551001")
    message = services.message_enqueue(phone=phone, template="help", auto_reply=True)
    settle()
    message.refresh_from_db()
    assert message.send_state == Message.SendState.SENT
    assert message.provider_sid.startswith("SM") and len(message.provider_sid) == 34
    assert message.status == "delivered"
    events = StatusEvent.objects.filter(provider_sid=message.provider_sid).order_by("pk")
    assert list(events.values_list("status", "message_id")) == [("sent", message.pk), ("delivered", message.pk)]


def test_the_same_backend_object_serves_consecutive_sends(settings):
    settings.SMS_BACKEND = "dev"
    backends.set_backend(None)
    assert backends.get_backend() is backends.get_backend()
