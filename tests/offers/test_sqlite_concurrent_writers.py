"""The embedded default (SQLite in WAL mode, IMMEDIATE transactions, a busy timeout) serves a web
process, workers and the timer at once: writers queue instead of failing with "database is locked",
and the engine's invariants hold."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.db.models import Count

from core.actors import Actor
from messaging import services as messaging
from messaging.models import Message
from offers import services
from offers.models import Cancellation, Offer

from ._support import SLOT_AT, clinic, run_together, slot, text_in, waiting

pytestmark = pytest.mark.django_db(transaction=True)
STAFF = Actor("staff", "desk", None)


def test_web_worker_and_timer_writes_interleave_without_database_is_locked(clock, settings, sms):
    if connection.vendor != "sqlite":
        pytest.skip("this checks the SQLite settings; PostgreSQL has its own race tests")
    settings.OFFER_CAP_PER_DAY = settings.OFFER_CAP_PER_WEEK = 99
    settings.OFFER_COOLDOWN_MINUTES = 0
    cl = clinic()
    waiting(30)
    slots = [slot(cl, start_at=SLOT_AT + dt.timedelta(hours=k)) for k in range(3)]

    def web(seed):
        rng = random.Random(seed)

        def run():
            for _ in range(25):
                offer = Offer.objects.filter(status="pending").select_related("phone").order_by("?").first()
                if offer is not None:
                    text_in(offer.phone.e164, rng.choice(["no", "no", "no", "YES", "what?"]))
            return "ok"
        return run

    def staff():
        c = slots[0]
        for _ in range(5):
            services.cancellation_pause(cancellation_id=c.pk, actor=STAFF)
            services.cancellation_resume(cancellation_id=c.pk, actor=STAFF)
            services.cancellation_next_wave_now(cancellation_id=slots[1].pk, actor=STAFF)
        slot(cl, start_at=SLOT_AT + dt.timedelta(hours=5))
        return "ok"

    def worker():
        for _ in range(25):
            for c in slots:
                services.wave_advance(cancellation_id=c.pk)
            for pk in Message.objects.filter(send_state="queued").values_list("pk", flat=True)[:10]:
                messaging.message_send(message_id=pk)
        return "ok"

    def timer():
        for _ in range(25):
            clock.advance(seconds=20)
            services.engine_tick()
            services.sweep()
        return "ok"

    results = run_together(web(1), web(2), staff, worker, timer, timeout=120)
    assert results == ["ok"] * 5, results
    for c in Cancellation.objects.all():
        assert c.offers.filter(status="accepted").count() == (1 if c.end_reason == "accepted" else 0)
    assert not Offer.objects.filter(status="pending").values("phone").annotate(n=Count("id")).filter(n__gt=1)
