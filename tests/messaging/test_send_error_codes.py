"""What each Twilio error means (FACTS.md): per-number errors flag the number and fail the message;
transient errors retry with backoff up to a limit; sender-wide errors, or unexplained failures on
several different numbers in a row, pause all outreach and alert staff."""

import datetime as dt

import pytest

from core.actors import Actor
from core.models import AuditEvent
from messaging import backends, services
from messaging.backends import SendResult
from messaging.models import ConsentEvent, Message, SenderHealth

from .twilio_requests import STATUS, post_signed, status_params

pytestmark = pytest.mark.django_db


class ScriptedTwilio:
    """Answers each send with the next scripted result for that number (then success)."""

    plays_provider = False

    def __init__(self):
        self.script: dict[str, list[SendResult]] = {}
        self.calls: list[str] = []

    def send(self, sms):
        self.calls.append(sms.to)
        queue = self.script.get(sms.to) or []
        if queue:
            return queue.pop(0)
        return SendResult(ok=True, sid="SM" + f"{len(self.calls):032x}", status="queued")


@pytest.fixture
def twilio(clock):
    backend = ScriptedTwilio()
    backends.set_backend(backend)
    return backend


def _error(code, status=400):
    return SendResult(ok=False, error_code=code, error_message=f"Twilio error {code}",
                      transient=status == 429 or status >= 500)


def _send(number, settle, template="help"):
    phone = services.phone_get_or_create(raw=number)
    message = services.message_enqueue(phone=phone, template=template)
    settle()
    message.refresh_from_db()
    phone.refresh_from_db()
    return message, phone


def _paused():
    return SenderHealth.objects.filter(pk=1, paused=True).exists()


def test_21610_marks_the_number_opted_out_by_the_carrier(twilio, settle):
    twilio.script["+13125550160"] = [_error("21610")]
    message, phone = _send("+13125550160", settle)
    assert (message.send_state, message.error_code) == ("failed", "21610")
    assert phone.opted_out and phone.opted_out_source == "carrier"
    event = ConsentEvent.objects.get(phone=phone)
    assert (event.kind, event.source, event.message_id) == ("opt_out", "carrier", message.pk)
    assert AuditEvent.objects.filter(action="consent.opt_out", actor_label="carrier").exists()
    assert not _paused()


@pytest.mark.parametrize("code", ["21614", "30006"])
def test_a_number_that_cannot_receive_texts_is_flagged_at_send_time(twilio, settle, code):
    twilio.script["+13125550161"] = [_error(code)]
    message, phone = _send("+13125550161", settle)
    assert (message.send_state, message.error_code) == ("failed", code)
    assert phone.cannot_receive and code in phone.cannot_receive_reason
    assert not phone.opted_out
    assert ConsentEvent.objects.get(phone=phone).kind == "cannot_receive"
    # nothing further is sent to it
    assert services.message_enqueue(phone=phone, template="help") is None


def test_30006_reported_later_by_a_status_callback_flags_the_number(twilio, settle, client):
    message, phone = _send("+13125550162", settle)
    post_signed(client, STATUS, status_params(message.provider_sid, "undelivered", "30006"))
    phone.refresh_from_db()
    assert phone.cannot_receive


def test_21610_reported_by_a_status_callback_opts_the_number_out(twilio, settle, client):
    message, phone = _send("+13125550163", settle)
    post_signed(client, STATUS, status_params(message.provider_sid, "failed", "21610"))
    phone.refresh_from_db()
    assert phone.opted_out
    assert ConsentEvent.objects.get(phone=phone, kind="opt_out").source == "carrier"


@pytest.mark.parametrize("status, code", [(429, "20429"), (500, "20500"), (503, "")])
def test_transient_errors_retry_with_growing_delays_then_fail_at_the_limit(twilio, settle, clock, status, code):
    number = "+13125550164"
    twilio.script[number] = [_error(code or f"http{status}", status)] * 10
    message, _ = _send(number, settle)
    delays = []
    while message.send_state == Message.SendState.QUEUED:
        assert message.next_attempt_at is not None
        wait = (message.next_attempt_at - clock()).total_seconds()
        delays.append(wait)
        clock.advance(seconds=wait - 1)
        assert services.messages_due(at=clock()) == []
        clock.advance(seconds=1)
        assert services.messages_due(at=clock()) == [message.pk]
        services.message_release_due(message_id=message.pk, at=clock())
        settle()
        message.refresh_from_db()
    assert delays == list(services.RETRY_DELAYS)
    assert len(twilio.calls) == services.MAX_SEND_ATTEMPTS
    assert (message.send_state, message.attempts) == ("failed", services.MAX_SEND_ATTEMPTS)
    assert message.error_code == (code or f"http{status}")
    assert not _paused()


def test_a_transient_error_followed_by_success_sends_once(twilio, settle, clock):
    number = "+13125550165"
    twilio.script[number] = [_error("20429", 429)]
    message, _ = _send(number, settle)
    clock.advance(seconds=services.RETRY_DELAYS[0])
    services.message_release_due(message_id=message.pk, at=clock())
    settle()
    message.refresh_from_db()
    assert (message.send_state, message.attempts, message.error_code) == ("sent", 2, "")
    assert twilio.calls == [number, number]


@pytest.mark.parametrize("code", ["20003", "30034", "21611"])
def test_a_sender_wide_error_pauses_all_outreach_and_alerts_staff(twilio, settle, clock, code, caplog):
    twilio.script["+13125550166"] = [_error(code)]
    message, phone = _send("+13125550166", settle)
    assert message.send_state == "failed"
    assert _paused() and code in SenderHealth.objects.get(pk=1).paused_reason
    assert AuditEvent.objects.filter(action="sender.pause").count() == 1
    assert any(r.levelname == "ERROR" and "paused" in r.getMessage() for r in caplog.records)
    # the number itself is not blamed
    assert not phone.opted_out and not phone.cannot_receive
    # outreach to anyone else is held, not attempted, and not counted as an attempt
    held, _ = _send("+13125550167", settle, template="welcome")
    assert (held.send_state, held.attempts) == ("queued", 0)
    assert twilio.calls == ["+13125550166"]
    clock.advance(minutes=5)
    services.message_release_due(message_id=held.pk, at=clock())
    settle()
    held.refresh_from_db()
    assert held.send_state == "queued" and twilio.calls == ["+13125550166"]
    # staff resume: the held text goes at its next look
    assert services.sender_resume(actor=Actor(Actor.STAFF, "desk"))
    clock.advance(minutes=1)
    services.message_release_due(message_id=held.pk, at=clock())
    settle()
    held.refresh_from_db()
    assert held.send_state == "sent" and twilio.calls[-1] == "+13125550167"


def test_30034_reported_by_a_status_callback_pauses_the_sender(twilio, settle, client):
    message, _ = _send("+13125550168", settle)
    post_signed(client, STATUS, status_params(message.provider_sid, "failed", "30034"))
    assert _paused()


def test_failures_on_several_different_numbers_in_a_row_pause_the_sender(twilio, settle, settings):
    settings.SENDER_FAILURE_THRESHOLD = 3
    numbers = ["+13125550171", "+13125550172", "+13125550173"]
    for n in numbers:
        twilio.script[n] = [_error("30008")]
    _send(numbers[0], settle)
    _send(numbers[1], settle)
    assert not _paused()
    _send(numbers[2], settle)
    assert _paused()
    assert "3 different numbers" in SenderHealth.objects.get(pk=1).paused_reason


def test_one_number_failing_again_and_again_does_not_pause_the_sender(twilio, settle, settings):
    settings.SENDER_FAILURE_THRESHOLD = 3
    twilio.script["+13125550174"] = [_error("30008")] * 5
    for _ in range(5):
        _send("+13125550174", settle)
    assert not _paused()


def test_a_success_between_failures_resets_the_streak(twilio, settle, settings):
    settings.SENDER_FAILURE_THRESHOLD = 3
    for n in ("+13125550175", "+13125550176", "+13125550178", "+13125550179"):
        twilio.script[n] = [_error("30008")]
    _send("+13125550175", settle)
    _send("+13125550176", settle)
    _send("+13125550177", settle)  # delivered fine
    _send("+13125550178", settle)
    _send("+13125550179", settle)
    assert not _paused()


def test_numbers_that_explain_their_own_failure_do_not_pause_the_sender(twilio, settle, settings):
    # an imported list full of landlines and opted-out numbers says nothing about the sender
    settings.SENDER_FAILURE_THRESHOLD = 3
    for i, code in enumerate(["21614", "21610", "30006", "21211", "30005"]):
        number = f"+1312555018{i}"
        twilio.script[number] = [_error(code)]
        _send(number, settle)
    assert not _paused()


def test_auto_replies_still_go_while_outreach_is_paused(twilio, settle):
    services.sender_pause(reason="test")
    message, _ = _send("+13125550190", settle, template="welcome")
    assert message.send_state == "queued"  # outreach: held
    phone = services.phone_get_or_create(raw="+13125550191")
    reply = services.message_enqueue(phone=phone, template="help", auto_reply=True)
    settle()
    reply.refresh_from_db()
    assert reply.send_state == "sent"
    assert dt.timedelta(0) < (message.next_attempt_at - message.created_at) <= services.PAUSED_RECHECK
