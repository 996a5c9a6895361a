"""The cheap in-suite version of bench/faults.py's Twilio fault: the real SDK against the local
stand-in while it answers 500, then 429, then recovers. Every text goes out exactly once."""

import collections
import datetime as dt

import pytest
from django.test import override_settings

from bench.scenario import RecordingStandIn
from messaging import backends
from messaging import services as messaging
from messaging.models import Message
from offers import services
from offers.models import Cancellation
from tests import factories as f
from tests.conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def standin():
    with RecordingStandIn() as s:
        yield s


@pytest.fixture
def twilio(standin):
    with override_settings(
        TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="token", TWILIO_API_BASE_URL=standin.url,
        TWILIO_MESSAGING_SERVICE_SID="MG" + "1" * 32,
    ):
        backends.set_backend(backends.TwilioBackend())
        yield standin
    backends.set_backend(None)


def _sweep_until_sent(clock, settle, rounds=8):
    for _ in range(rounds):
        clock.advance(seconds=31)
        services.sweep()
        settle()
        if not Message.objects.filter(direction="outbound", send_state="queued").exists():
            return


def _accepted_per_text(standin):
    return collections.Counter((to, body) for _t, _sid, to, body in standin.accepted)


def test_texts_refused_with_500_then_429_are_each_sent_once_when_twilio_recovers(clock, settle, twilio):
    loc = f.location()
    prov = f.provider(loc)
    for _ in range(3):
        f.entry(f.patient())
    twilio.fail_for(3600, status=500)
    c = f.cancellation(prov, loc, T0 + dt.timedelta(hours=5))
    settle()
    offers_texts = Message.objects.filter(direction="outbound", kind="offer")
    assert offers_texts.count() == 3
    assert set(offers_texts.values_list("send_state", flat=True)) == {"queued"}

    # the first retry meets 429s, then Twilio recovers
    twilio.fail_for(3600, status=429)
    clock.advance(seconds=31)
    services.sweep()
    settle()
    assert twilio.refused[500] == 3 and twilio.refused[429] == 3
    twilio.fail_for(0)
    _sweep_until_sent(clock, settle)

    sent = Message.objects.filter(direction="outbound")
    assert set(sent.values_list("send_state", flat=True)) == {"sent"}
    per_text = _accepted_per_text(twilio)
    assert sorted(per_text.values()) == [1, 1, 1]
    assert set(per_text) == set(sent.values_list("phone__e164", "body"))
    c.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING


def test_a_duplicate_send_task_after_an_outage_does_not_send_twice(clock, settle, twilio):
    """The sweeper re-enqueues queued texts it thinks were lost; the claim makes the copy harmless."""
    loc = f.location()
    prov = f.provider(loc)
    f.entry(f.patient())
    twilio.fail_for(3600, status=500)
    f.cancellation(prov, loc, T0 + dt.timedelta(hours=5))
    settle()
    twilio.fail_for(0)
    message = Message.objects.get(direction="outbound", kind="offer")
    clock.advance(seconds=120)
    services.sweep()  # releases it (due retry); its task waits in the queue ...
    clock.advance(seconds=31)
    requeued = messaging.messages_requeue_lost(older_than=clock() - dt.timedelta(seconds=30))  # ... and a copy
    assert requeued == 1
    settle()
    message.refresh_from_db()
    assert message.send_state == "sent"
    assert len(twilio.accepted) == 1
