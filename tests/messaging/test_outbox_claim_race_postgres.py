"""Two workers given the same outbox row at the same instant (a duplicated task, the sweeper and a
worker): the conditional claim lets exactly one of them hand it to Twilio."""

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from clinicbot.clock import now
from messaging import backends, services
from messaging.backends import SendResult
from messaging.models import Message, PhoneNumber

from .twilio_requests import new_sid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 25


class CountingTwilio:
    plays_provider = False

    def __init__(self):
        self.lock = threading.Lock()
        self.sends: Counter[str] = Counter()

    def send(self, sms):
        with self.lock:
            self.sends[sms.body] += 1
        time.sleep(0.005)  # a real API call takes time: keep the window for a second send open
        return SendResult(ok=True, sid=new_sid(), status="queued")


def _race(message_id: int) -> list[str]:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker():
        try:
            barrier.wait()
            outcomes.append(services.message_send(message_id=message_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(outcomes)


def test_two_workers_racing_on_one_outbox_row_send_it_exactly_once():
    twilio = CountingTwilio()
    backends.set_backend(twilio)
    phone = PhoneNumber.objects.create(e164="+13125550300")
    ids = [
        Message.objects.create(
            direction=Message.Direction.OUTBOUND, phone=phone, body=f"text {i}", kind="help",
            send_state=Message.SendState.QUEUED, created_at=now(),
        ).pk
        for i in range(ROUNDS)
    ]
    outcomes = [_race(pk) for pk in ids]
    assert outcomes == [["not-claimed", "sent"]] * ROUNDS
    assert twilio.sends == Counter({f"text {i}": 1 for i in range(ROUNDS)})
    rows = Message.objects.filter(pk__in=ids)
    assert set(rows.values_list("send_state", "attempts")) == {("sent", 1)}
    assert rows.exclude(provider_sid=None).count() == ROUNDS
