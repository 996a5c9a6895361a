"""`manage.py check_health` is what cron and monitoring run: exit 0 when ready, 1 naming each failure."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clinicbot.clock import now
from core.models import Heartbeat
from core.services import heartbeat_beat
from messaging import services as messaging
from messaging.models import Message

pytestmark = pytest.mark.django_db


def _beat_all():
    heartbeat_beat(name="timer", period_seconds=5)
    heartbeat_beat(name="worker", period_seconds=10)


def _failure(*args) -> CommandError:
    with pytest.raises(CommandError) as caught:
        call_command("check_health", *args)
    return caught.value


def test_check_health_is_silent_with_quiet_and_succeeds_when_every_process_beat(capsys):
    _beat_all()
    call_command("check_health", "--quiet")
    assert capsys.readouterr().out == ""
    call_command("check_health")
    assert capsys.readouterr().out.strip() == "ok: database, broker, timer, worker, sender, outbox"


def test_check_health_fails_naming_processes_that_never_beat():
    error = _failure()
    assert error.returncode == 1
    assert "timer: no heartbeat yet" in str(error) and "worker: no heartbeat yet" in str(error)


def test_check_health_fails_naming_a_timer_that_stopped_beating():
    heartbeat_beat(name="worker", period_seconds=10)
    Heartbeat.objects.create(name="timer", beat_at=now() - dt.timedelta(seconds=40), period_seconds=5)
    error = _failure()
    assert error.returncode == 1
    assert "timer: last heartbeat 40s ago" in str(error)
    assert "worker" not in str(error)


def test_check_health_fails_while_outreach_is_paused_for_the_whole_sender():
    _beat_all()
    messaging.sender_pause(reason="Twilio error 30034 affects the whole sender")
    error = _failure()
    assert "sender: outreach paused" in str(error) and "30034" in str(error)
    # a paused sender needs a person, not a restart: readiness alone stays green
    call_command("check_health", "--readiness-only", "--quiet")


def _sending(seconds_ago: float, **extra) -> Message:
    phone = messaging.phone_get_or_create(raw=f"+1312555{Message.objects.count() + 140:04d}")
    return Message.objects.create(
        direction="outbound", phone=phone, body="x", kind="offer", send_state="sending", created_at=now(),
        sending_at=now() - dt.timedelta(seconds=seconds_ago), **extra,
    )


def test_check_health_fails_when_a_text_is_stuck_in_sending(clock):
    _beat_all()
    _sending(6 * 60)
    error = _failure()
    assert "outbox: 1 text(s) stuck in 'sending'" in str(error)


def test_check_health_ignores_a_send_in_progress(clock):
    _beat_all()
    _sending(20)
    call_command("check_health", "--quiet")


def test_check_health_stops_alarming_once_a_stuck_text_is_handled_or_a_day_old(clock):
    _beat_all()
    _sending(6 * 60, needs_attention="send_outcome_unknown", attention_cleared_at=now())
    _sending(25 * 3600)
    call_command("check_health", "--quiet")
