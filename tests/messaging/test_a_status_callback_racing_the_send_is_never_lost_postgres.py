"""The same race on real PostgreSQL connections: a worker records the sid Twilio returned while the
status callback for it comes in on a web process. The callback's look-up runs while the sid is
written but not committed (so it sees nothing), and it stores its status only after the send has
finished; the status is still applied, once."""

import threading

import pytest

from clinicbot.clock import now
from messaging import backends, services
from messaging.models import Message, PhoneNumber, StatusEvent
from tests.offers._support import run_together

from .twilio_requests import OneSidTwilio as Twilio

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT = 10


def test_a_callback_looking_while_the_sid_is_uncommitted_and_storing_after_the_send_is_applied_once(monkeypatch):
    twilio = Twilio()
    backends.set_backend(twilio)
    phone = PhoneNumber.objects.create(e164="+13125551701")
    message = Message.objects.create(
        direction=Message.Direction.OUTBOUND, phone=phone, body="help text", kind="help",
        send_state=Message.SendState.QUEUED, created_at=now(),
    )
    sid_written, callback_looked, send_done = threading.Event(), threading.Event(), threading.Event()

    real_forward = services._status_forward

    def forward_then_let_the_callback_look(message_id, status):
        moved = real_forward(message_id, status)
        if not sid_written.is_set():  # the send, inside the transaction that wrote the sid
            sid_written.set()
            assert callback_looked.wait(WAIT)
        return moved

    def store_once_the_send_is_done(**fields):
        callback_looked.set()
        assert send_done.wait(WAIT)
        return StatusEvent.objects.get_queryset().create(**fields)

    monkeypatch.setattr(services, "_status_forward", forward_then_let_the_callback_look)
    monkeypatch.setattr(StatusEvent.objects, "create", store_once_the_send_is_done)

    def send():
        try:
            return services.message_send(message_id=message.pk)
        finally:
            send_done.set()

    def callback():
        assert sid_written.wait(WAIT)
        return services.status_apply(sid=twilio.sid, status="delivered")

    sent, answered = run_together(send, callback)
    assert sent == "sent", sent
    assert not isinstance(answered, BaseException), answered
    message.refresh_from_db()
    assert (message.send_state, message.provider_sid, message.status) == ("sent", twilio.sid, "delivered")
    [event] = StatusEvent.objects.filter(provider_sid=twilio.sid)
    assert event.message_id == message.pk
