"""Nothing stays `offering` forever: the sweeper repairs what a crash or a lost task left behind,
and running it again (or beside the timer) changes nothing more."""

import datetime as dt

import pytest
from django.db import connection

from messaging import services as messaging
from messaging.models import Message
from offers import services
from offers.models import Cancellation, Offer

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db


def lose_enqueued_tasks():
    """What a crash between commit and enqueue (or a lost broker) does: the tasks never run."""
    connection.run_on_commit = []


@pytest.fixture
def c(clock, settle):
    waiting(6)
    c = slot(clinic())
    settle()
    return c


def test_holds_the_timer_never_processed_are_expired_and_the_next_wave_starts(c, clock, settle):
    clock.advance(minutes=30)
    result = services.sweep()
    settle()
    assert result["expired"] == 3
    c.refresh_from_db()
    assert c.current_wave == 2
    assert Offer.objects.filter(cancellation=c, status="expired").count() == 3


def test_a_wave_whose_task_was_lost_is_started(c, clock, settle):
    for o in pending(c):
        text_in(o.phone.e164, "no")
    lose_enqueued_tasks()
    c.refresh_from_db()
    assert c.current_wave == 1
    services.sweep()
    settle()
    c.refresh_from_db()
    assert c.current_wave == 2


def test_a_slot_left_with_nothing_pending_and_nothing_scheduled_is_scheduled_and_started(c, clock, settle):
    for o in pending(c):
        text_in(o.phone.e164, "no")
    lose_enqueued_tasks()
    Cancellation.objects.filter(pk=c.pk).update(next_wave_at=None)  # the state a crash can leave
    assert services.engine_tick()["waves"] == 0  # the timer alone does not see it
    result = services.sweep()
    settle()
    assert result["stalled"] == 1
    c.refresh_from_db()
    assert c.current_wave == 2


def test_offer_texts_whose_send_task_was_lost_go_out_on_the_next_sweep(clock, settle, sms):
    waiting(3)
    c = slot(clinic())
    # run the wave, but lose the send tasks it enqueues
    callbacks, connection.run_on_commit = connection.run_on_commit, []
    for _sids, func, _robust in callbacks:
        func()
    lose_enqueued_tasks()
    assert Message.objects.filter(send_state="queued", kind="offer").count() == 3
    assert sms.sent == []
    clock.advance(seconds=31)
    services.sweep()
    settle()
    assert len(sms.sent) == 3
    assert not Message.objects.filter(send_state="queued").exists()
    assert len(pending(c)) == 3


def test_an_inbound_yes_that_was_stored_but_not_processed_is_processed(c, clock, settle):
    offer = pending(c)[0]
    messaging.inbound_record(params={"MessageSid": "SM" + "a" * 32, "From": offer.phone.e164, "Body": "YES"})
    clock.advance(seconds=11)
    services.sweep()
    c.refresh_from_db()
    assert c.filled_offer_id == offer.pk


def test_a_second_sweep_changes_nothing(c, clock, settle):
    clock.advance(minutes=30)
    services.sweep()
    settle()
    before = (list(Offer.objects.order_by("pk").values_list("pk", "status")),
              list(Cancellation.objects.values_list("current_wave", "status")))
    assert services.sweep() == {"stalled": 0, "cutoff": 0, "expired": 0, "waves": 0, "released": 0,
                                "requeued": 0, "statuses_attached": 0, "reprocessed": 0}
    settle()
    after = (list(Offer.objects.order_by("pk").values_list("pk", "status")),
             list(Cancellation.objects.values_list("current_wave", "status")))
    assert before == after


def test_a_slot_past_its_cutoff_with_nothing_pending_ends_unfilled(c, clock, settle):
    for o in pending(c):
        text_in(o.phone.e164, "no")
    lose_enqueued_tasks()
    Cancellation.objects.filter(pk=c.pk).update(next_wave_at=None)
    clock.set(c.start_at - dt.timedelta(minutes=59))
    services.sweep()
    c.refresh_from_db()
    assert (c.status, c.end_reason) == (Cancellation.Status.UNFILLED, Cancellation.EndReason.CUTOFF)
