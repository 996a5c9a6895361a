"""Two workers (or a worker and the timer) start the same due wave at the same moment: one wave,
never two. The reference sent two batches at once from racing code paths."""

import datetime as dt

import pytest

from clinicbot.clock import now
from core.models import AuditEvent
from offers import services
from offers.models import Cancellation, Offer

from ._support import SLOT_AT, clinic, pending, run_together, slot, text_in, waiting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 20


def test_two_workers_starting_the_same_wave_start_it_once(clock, settings, sms, monkeypatch):
    sms.plays_provider = False  # no delivery callbacks: they are beside the point here
    cl = clinic()
    for n in range(ROUNDS):
        waiting(6)
        c = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=n))
        # the declines make wave 2 due; keep its task from running so the race below starts it
        monkeypatch.setattr("offers.tasks.wave_advance_task", lambda cancellation_id: None)
        for o in pending(c):
            text_in(o.phone.e164, "no")
        monkeypatch.undo()
        c.refresh_from_db()
        assert c.current_wave == 1 and c.next_wave_at is not None

        results = run_together(
            lambda pk=c.pk: services.wave_advance(cancellation_id=pk),
            lambda pk=c.pk: services.wave_advance(cancellation_id=pk),
            services.engine_tick,
        )
        assert not any(isinstance(r, BaseException) for r in results), results
        # the two workers: one starts the wave, the other finds it running (unless the timer was first)
        assert sorted(results[:2]) in (["pending", "wave 2: 3 offers"], ["pending", "pending"])
        c.refresh_from_db()
        assert c.current_wave == 2
        assert Offer.objects.filter(cancellation=c, wave=2).count() == 3
        assert len(pending(c)) == 3
        assert AuditEvent.objects.filter(action="cancellation.wave", object_id=str(c.pk)).count() == 2
        # rounds must not compete for patients: close this slot before the next (housekeeping)
        Offer.objects.filter(cancellation=c, status="pending").update(status="withdrawn", ended_at=now())
        Cancellation.objects.filter(pk=c.pk).update(status="withdrawn", next_wave_at=None)
        clock.advance(minutes=1)
