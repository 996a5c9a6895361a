"""A wave started seconds before the sending hours end cannot reach anyone (its texts may not leave
after closing), yet it would count its patients as offered (capped for the day) and the slot would
end "nobody eligible left" though nobody got a text. With less than a minimum hold
(OFFER_MIN_HOLD_MINUTES) before closing, the slot waits for the next opening instead."""

import datetime as dt

import pytest
from django.db import connection

from core.actors import Actor
from offers import services
from offers.models import Cancellation, Offer

from ._support import CHICAGO, clinic, slot, waiting

pytestmark = pytest.mark.django_db


def _run_on_commit_once():
    # the slot's first wave task, run now: a later settle() would run it after the clock moved
    callbacks, connection.run_on_commit = connection.run_on_commit, []
    for _sids, func, _robust in callbacks:
        func()


def test_a_wave_is_not_started_seconds_before_the_window_closes(clock, settle, sms):
    cl = clinic()
    waiting(3)
    clock.set(dt.datetime(2026, 11, 25, 19, 59, 58, tzinfo=CHICAGO).astimezone(dt.UTC))
    c = slot(cl)
    _run_on_commit_once()
    clock.advance(seconds=3)
    settle()
    c.refresh_from_db()
    assert sms.sent == []
    assert not Offer.objects.filter(cancellation=c).exists()
    opens = dt.datetime(2026, 11, 26, 8, 0, tzinfo=CHICAGO).astimezone(dt.UTC)
    assert c.status in Cancellation.ACTIVE and c.next_wave_at == opens
    clock.set(opens)
    services.engine_tick()
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING
    assert len([s for s in sms.sent if "Reply YES" in s.body]) == 3


def test_staff_next_wave_now_also_waits_for_the_next_opening(clock, settle, sms):
    cl = clinic()
    waiting(3)
    clock.set(dt.datetime(2026, 11, 25, 19, 59, 0, tzinfo=CHICAGO).astimezone(dt.UTC))
    c = slot(cl)
    connection.run_on_commit = []  # the automatic first wave is not what this test is about
    result = services.cancellation_next_wave_now(cancellation_id=c.pk, actor=Actor("staff", "sam", None))
    assert result == "waiting-for-window"
    assert not Offer.objects.filter(cancellation=c).exists()
