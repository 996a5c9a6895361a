"""A send whose outcome we never learned (a crash after the claim, a timeout after Twilio may have
accepted the request, a backend bug) leaves the row in `sending`: staff see it, and nothing resends
it on its own, because a resend could text the patient twice."""

import datetime as dt
import socket
import threading

import pytest
from django.db import connection
from django.test import override_settings

from messaging import backends, selectors, services
from messaging.backends import OutgoingSms, TwilioBackend
from messaging.models import Message
from offers import services as offers

pytestmark = pytest.mark.django_db


class ExplodingTwilio:
    plays_provider = False

    def __init__(self):
        self.calls = 0

    def send(self, sms):
        self.calls += 1
        raise RuntimeError("bug after the request went out")


@pytest.fixture
def silent_server():
    """Accepts connections and reads requests but never answers (Twilio slow after receiving)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()
    conns = []

    def serve():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conns.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    for conn in conns:
        conn.close()
    server.close()


def _twilio(base_url, monkeypatch):
    monkeypatch.setattr(backends, "HTTP_TIMEOUT", 0.5)
    with override_settings(TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="t", TWILIO_API_BASE_URL=base_url):
        return TwilioBackend()


def test_a_backend_crash_leaves_the_row_sending_flagged_and_it_is_never_resent(clock, settle):
    twilio = ExplodingTwilio()
    backends.set_backend(twilio)
    phone = services.phone_get_or_create(raw="+13125550801")
    message = services.message_enqueue(phone=phone, template="welcome")
    settle()
    message.refresh_from_db()
    assert (message.send_state, message.needs_attention) == ("sending", "send_outcome_unknown")
    assert list(selectors.messages_stuck_sending()) == [message]
    assert message in selectors.messages_needing_attention()
    for minutes in (1, 5, 60):
        clock.advance(minutes=minutes)
        offers.sweep()
        settle()
        assert services.message_send(message_id=message.pk) == "not-claimed"
    assert twilio.calls == 1


def test_a_worker_that_died_after_its_claim_shows_up_as_stuck_after_a_while(clock, settle):
    twilio = ExplodingTwilio()
    backends.set_backend(twilio)
    phone = services.phone_get_or_create(raw="+13125550802")
    message = services.message_enqueue(phone=phone, template="welcome")
    # the worker claimed the row, then its process was killed before calling Twilio; the send task
    # that would have run after commit died with it
    Message.objects.filter(pk=message.pk).update(send_state="sending", sending_at=clock(), attempts=1)
    connection.run_on_commit = []
    assert not selectors.messages_stuck_sending().exists()
    clock.advance(seconds=selectors.STUCK_AFTER.total_seconds() + 1)
    assert list(selectors.messages_stuck_sending()) == [message]
    offers.sweep()
    settle()
    assert twilio.calls == 0
    assert Message.objects.get(pk=message.pk).send_state == "sending"


def test_a_read_timeout_is_an_unknown_outcome_not_a_retry(silent_server, monkeypatch):
    result = _twilio(silent_server, monkeypatch).send(OutgoingSms(to="+13125550803", body="x", validity_seconds=None))
    assert not result.ok and result.unknown and not result.transient


def test_a_refused_connection_never_reached_twilio_and_is_retried(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    result = _twilio(f"http://127.0.0.1:{closed_port}", monkeypatch).send(
        OutgoingSms(to="+13125550804", body="x", validity_seconds=None)
    )
    assert not result.ok and result.transient and not result.unknown


def test_an_outbox_send_that_timed_out_stays_sending_for_staff(silent_server, monkeypatch, clock, settle):
    backends.set_backend(_twilio(silent_server, monkeypatch))
    phone = services.phone_get_or_create(raw="+13125550805")
    message = services.message_enqueue(phone=phone, template="welcome")
    settle()
    message.refresh_from_db()
    assert (message.send_state, message.error_code, message.needs_attention) == (
        "sending", "network", "send_outcome_unknown")
    clock.advance(minutes=10)
    assert services.messages_due(at=clock()) == []
    assert selectors.messages_stuck_sending().filter(pk=message.pk).exists()
    assert message.sending_at < clock() - dt.timedelta(minutes=5)


def test_staff_can_mark_a_stuck_send_handled_and_it_leaves_the_board_and_the_alarm(clock, settle):
    from core.management.commands.check_health import outbox_problem
    from core.models import AuditEvent
    from tests import factories as f

    backends.set_backend(ExplodingTwilio())
    phone = services.phone_get_or_create(raw="+13125550803")
    message = services.message_enqueue(phone=phone, template="welcome")
    Message.objects.filter(pk=message.pk).update(send_state="sending", sending_at=clock(), attempts=1)
    connection.run_on_commit = []
    clock.advance(seconds=selectors.STUCK_AFTER.total_seconds() + 1)
    assert list(selectors.messages_needing_attention()) == [message]
    assert outbox_problem() is not None
    # staff looked it up in Twilio's log and settled it with the patient
    assert services.message_flag_clear(message_id=message.pk, actor=f.STAFF)
    assert not selectors.messages_needing_attention().exists()
    assert outbox_problem() is None
    assert Message.objects.get(pk=message.pk).send_state == "sending"  # what happened is not rewritten
    assert AuditEvent.objects.filter(action="message.flag_clear", object_id=str(message.pk)).count() == 1
    assert not services.message_flag_clear(message_id=message.pk, actor=f.STAFF)  # a second click changes nothing


def test_a_text_that_needs_nobody_cannot_be_marked_handled(clock, settle):
    from tests import factories as f

    phone = services.phone_get_or_create(raw="+13125550804")
    message = services.message_enqueue(phone=phone, template="welcome")
    settle()
    assert Message.objects.get(pk=message.pk).send_state == "sent"
    assert not services.message_flag_clear(message_id=message.pk, actor=f.STAFF)
    assert Message.objects.get(pk=message.pk).attention_cleared_at is None
