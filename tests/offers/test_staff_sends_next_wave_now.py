"""Staff may send the next wave without waiting for pending offers (and while paused), still inside
the sending window and before the cutoff; a repeated click does not send two."""

import datetime as dt

import pytest

from core.actors import Actor
from core.models import AuditEvent
from offers import services
from offers.models import Cancellation

from ._support import clinic, pending, slot, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "lee.frontdesk", None)


@pytest.fixture
def c(clock, settle):
    waiting(9)
    c = slot(clinic())
    settle()
    return c


def test_next_wave_now_adds_a_wave_beside_the_pending_one(c, settle, sms):
    result = services.cancellation_next_wave_now(cancellation_id=c.pk, actor=STAFF)
    settle()
    c.refresh_from_db()
    assert result == "wave 2: 3 offers"
    assert c.current_wave == 2 and len(pending(c)) == 6
    assert len(sms.sent) == 6
    assert AuditEvent.objects.filter(action="cancellation.wave", object_id=str(c.pk),
                                     actor_label="lee.frontdesk").count() == 1


def test_a_repeated_click_for_the_same_wave_sends_nothing_more(c, settle):
    assert services.cancellation_next_wave_now(cancellation_id=c.pk, actor=STAFF, after_wave=1).startswith("wave 2")
    assert services.cancellation_next_wave_now(cancellation_id=c.pk, actor=STAFF, after_wave=1) == "already-advanced"
    c.refresh_from_db()
    assert c.current_wave == 2


def test_next_wave_now_works_while_paused(c, settle):
    services.cancellation_pause(cancellation_id=c.pk, actor=STAFF)
    assert services.cancellation_next_wave_now(cancellation_id=c.pk, actor=STAFF).startswith("wave 2")


def test_next_wave_now_after_the_cutoff_starts_nothing(c, clock, settle):
    clock.set(c.start_at - dt.timedelta(minutes=60, seconds=30))
    assert services.cancellation_next_wave_now(cancellation_id=c.pk, actor=STAFF) == "cutoff"
    c.refresh_from_db()
    assert c.current_wave == 1
    assert c.status == Cancellation.Status.OFFERING  # pending offers still run out
