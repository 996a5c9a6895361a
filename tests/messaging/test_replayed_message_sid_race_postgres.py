"""Twilio retries a webhook while the first delivery is still being handled: the two identical
requests race on real PostgreSQL connections, and the text is stored once and acted on once."""

import threading

import pytest
from django.db import connection
from django.test import Client

from messaging.models import ConsentEvent, Message

from .twilio_requests import INBOUND, inbound_params, post_signed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 10


def _deliver_twice_at_once(params) -> list[int]:
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def deliver():
        try:
            client = Client()
            barrier.wait()
            codes.append(post_signed(client, INBOUND, params).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return codes


def test_two_simultaneous_deliveries_of_one_stop_opt_out_once_and_confirm_once(sms):
    for i in range(ROUNDS):
        number = f"+131255512{i:02d}"
        assert _deliver_twice_at_once(inbound_params(number, "STOP")) == [200, 200]
        assert Message.objects.filter(direction="inbound", phone__e164=number).count() == 1
        assert ConsentEvent.objects.filter(phone__e164=number, kind="opt_out").count() == 1
        assert len(sms.bodies_to(number)) == 1
