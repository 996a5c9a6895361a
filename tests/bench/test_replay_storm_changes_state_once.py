"""The cheap in-suite version of bench/faults.py's replay storm: ~100 signed inbound webhooks, each
of 10 texts posted 10 times, through Django's test client. Each text is recorded once and acted on
once; the replays change no row and send nothing."""

import collections
import datetime as dt
import random
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from bench.common import inbound_params, sign
from core.models import AuditEvent
from messaging.models import Message
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.conftest import T0

INBOUND = "/webhooks/twilio/inbound/"


def _post(client, params):
    signature = sign(settings.PUBLIC_BASE_URL + INBOUND, params, token=settings.WEBHOOK_AUTH_TOKEN)
    return client.post(INBOUND, params, HTTP_X_TWILIO_SIGNATURE=signature)


def _state():
    return {
        "messages": Message.objects.count(),
        "audit": AuditEvent.objects.count(),
        "offers": collections.Counter(Offer.objects.values_list("status", flat=True)),
        "slots": collections.Counter(Cancellation.objects.values_list("status", flat=True)),
    }


def _slot_with_offers(settle, n=3):
    loc = f.location()
    prov = f.provider(loc)
    for _ in range(n):
        f.entry(f.patient())
    c = f.cancellation(prov, loc, T0 + dt.timedelta(hours=5))
    settle()
    return c, list(Offer.objects.filter(cancellation=c).select_related("phone").order_by("pk"))


@pytest.mark.django_db
def test_a_storm_of_replayed_webhooks_records_each_text_once_and_acts_once(clock, sms, settle):
    c, offers = _slot_with_offers(settle)
    bystander = f.patient()
    texts = [
        inbound_params(from_=offers[0].phone.e164, body="YES"),
        inbound_params(from_=offers[1].phone.e164, body="no"),
        inbound_params(from_=offers[2].phone.e164, body="what is this?"),
        inbound_params(from_=bystander.phone.e164, body="HELP"),
        *(inbound_params(from_=offers[1].phone.e164, body=f"question {i}") for i in range(6)),
    ]
    client = Client()
    for params in texts:
        assert _post(client, params).status_code == 200
    settle()
    first = _state()
    sends = len(sms.sent)
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED and c.filled_offer_id == offers[0].pk

    replays = [p for p in texts for _ in range(9)]
    random.Random(4).shuffle(replays)
    answers = collections.Counter(_post(client, p).status_code for p in replays)
    settle()

    assert answers == {200: 90}
    assert _state() == first
    assert len(sms.sent) == sends
    stored = collections.Counter(
        Message.objects.filter(direction="inbound").values_list("provider_sid", flat=True)
    )
    assert stored == {p["MessageSid"]: 1 for p in texts}
    assert AuditEvent.objects.filter(action="offer.accept").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_yes_posted_eight_times_at_once_is_stored_once_and_wins_once(clock, sms, settle):
    c, offers = _slot_with_offers(settle)
    params = inbound_params(from_=offers[0].phone.e164, body="YES")
    barrier = threading.Barrier(8)
    statuses = []

    def post():
        try:
            barrier.wait()
            statuses.append(_post(Client(), params).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert statuses == [200] * 8
    assert Message.objects.filter(direction="inbound", provider_sid=params["MessageSid"]).count() == 1
    assert Message.objects.filter(direction="inbound", processed_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="offer.accept").count() == 1
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    confirmations = [s for s in sms.sent if s.to == offers[0].phone.e164 and "booked" in s.body]
    assert len(confirmations) == 1
