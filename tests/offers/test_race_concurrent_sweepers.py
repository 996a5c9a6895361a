"""The timer, the sweeper and a worker running wave tasks all at once, over several slots whose next
waves compete for the same numbers: every hold is expired once, every wave is started once, no
number gets two pending offers, and nobody deadlocks."""

import datetime as dt

import pytest
from django.db.models import Count

from clinicbot.clock import now
from core.models import AuditEvent
from offers import services
from offers.models import Cancellation, Offer
from waitlist.models import WaitlistEntry

from ._support import SLOT_AT, clinic, run_together, slot, waiting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 20
SLOTS = 4


def test_timer_sweeper_and_worker_together_expire_each_hold_once_and_start_each_wave_once(clock, settings, sms):
    sms.plays_provider = False  # no delivery callbacks: they are beside the point here
    # numbers may be offered again at once, so the slots' next waves all want the same people
    settings.OFFER_CAP_PER_DAY = settings.OFFER_CAP_PER_WEEK = 999
    settings.OFFER_COOLDOWN_MINUTES = 0
    settings.OFFER_UNRESPONSIVE_AFTER = 999
    cl = clinic()
    entries = waiting(3 * SLOTS)  # the same people every round: nobody is capped, resting or set aside
    for n in range(ROUNDS):
        WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(consecutive_no_reply=0)
        slots = [slot(cl, start_at=SLOT_AT + dt.timedelta(days=1 + n, minutes=30 * k)) for k in range(SLOTS)]
        assert Offer.objects.filter(cancellation__in=slots, status="pending").count() == 3 * SLOTS
        clock.advance(minutes=8)

        backwards = [c.pk for c in reversed(slots)]  # a worker taking wave tasks in another order

        def worker(ids=backwards):
            return [services.wave_advance(cancellation_id=pk) for pk in ids]

        results = run_together(services.engine_tick, services.sweep, worker)
        assert not any(isinstance(r, BaseException) for r in results), results

        first_wave = Offer.objects.filter(cancellation__in=slots, wave=1)
        assert set(first_wave.values_list("status", flat=True)) == {"expired"}
        twice = (AuditEvent.objects.filter(action="offer.expired", object_id__in=[str(o.pk) for o in first_wave])
                 .values("object_id").annotate(n=Count("id")).filter(n__gt=1))
        assert not twice.exists()
        assert set(WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries])
                   .values_list("consecutive_no_reply", flat=True)) == {1}
        for c in slots:
            c.refresh_from_db()
            waves = AuditEvent.objects.filter(action="cancellation.wave", object_id=str(c.pk)).count()
            assert waves == c.current_wave
            assert c.status == Cancellation.Status.OFFERING
            per_wave = Offer.objects.filter(cancellation=c).values("wave").annotate(n=Count("id"))
            assert all(row["n"] <= 3 for row in per_wave)
        pending_phones = Offer.objects.filter(status="pending").values("phone").annotate(n=Count("id"))
        assert all(row["n"] == 1 for row in pending_phones)
        # every slot is either offering its second wave or waiting to retry a wave the others crowded out
        assert all(c.current_wave >= 2 or c.next_wave_at is not None for c in slots)
        end_round(slots)
        clock.advance(minutes=1)


def end_round(slots):
    """Housekeeping between rounds (not under test): close the slots so the next round starts clean."""
    Offer.objects.filter(cancellation__in=slots, status="pending").update(status="withdrawn", ended_at=now())
    Cancellation.objects.filter(pk__in=[c.pk for c in slots]).update(status="withdrawn", next_wave_at=None)
