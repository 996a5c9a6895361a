"""Waves of several slots start at the same moment and compete for the same numbers, round after
round: the caps bound each writes on its numbers' entries never runs past what the offers stored
say (a later writer working from an older read may only leave it lower), so selection never
passes over a number the exact caps would let through."""

import datetime as dt
from collections import defaultdict

import pytest

from clinicbot.clock import now
from offers import services
from offers.models import Cancellation, Offer
from offers.selectors import WEEK, caps_bound
from waitlist.models import WaitlistEntry

from ._support import SLOT_AT, clinic, eligible_ids, run_together, slot, waiting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 12
SLOTS = 4


def _true_bounds(at):
    sent = defaultdict(list)
    for phone_id, sent_at in Offer.objects.filter(sent_at__gte=at - WEEK).values_list("phone_id", "sent_at"):
        sent[phone_id].append(sent_at)
    return {phone_id: caps_bound(times) for phone_id, times in sent.items()}


def test_concurrent_waves_never_store_a_bound_past_the_true_one(clock, settings, sms):
    sms.plays_provider = False
    # two a day and three a week: numbers come back within the run, so bounds are rewritten
    settings.OFFER_CAP_PER_DAY, settings.OFFER_CAP_PER_WEEK = 2, 3
    settings.OFFER_COOLDOWN_MINUTES = 0
    settings.OFFER_UNRESPONSIVE_AFTER = 999
    cl = clinic()
    waiting(3 * SLOTS + 2)
    probe = slot(cl, start_at=SLOT_AT + dt.timedelta(days=30))
    Offer.objects.filter(cancellation=probe).delete()
    Cancellation.objects.filter(pk=probe.pk).update(status="withdrawn", next_wave_at=None)
    written = 0
    for n in range(ROUNDS):
        slots = [slot(cl, start_at=SLOT_AT + dt.timedelta(days=1 + n, minutes=30 * k)) for k in range(SLOTS)]
        clock.advance(minutes=8)  # every first wave's hold has ended: the next waves are due together
        results = run_together(
            services.engine_tick,
            *[lambda pk=c.pk: services.wave_advance(cancellation_id=pk) for c in reversed(slots)],
        )
        assert not any(isinstance(r, BaseException) for r in results), results

        truth = _true_bounds(now())
        for entry_id, phone_id, stored in WaitlistEntry.objects.filter(offer_capped_until__isnull=False).values_list(
            "pk", "patient__phone_id", "offer_capped_until"
        ):
            written += 1
            assert truth.get(phone_id) is not None and stored <= truth[phone_id], (n, entry_id, stored, truth.get(phone_id))
        for hours in (0, 3, 13, 25):
            at = now() + dt.timedelta(hours=hours)
            with_bounds = eligible_ids(probe, at=at)
            saved = list(WaitlistEntry.objects.values_list("pk", "offer_capped_until", "offer_caps_rule"))
            WaitlistEntry.objects.update(offer_capped_until=None, offer_caps_rule="")
            assert eligible_ids(probe, at=at) == with_bounds, (n, hours)
            for pk, until, rule in saved:
                WaitlistEntry.objects.filter(pk=pk).update(offer_capped_until=until, offer_caps_rule=rule)
        # close the round so the next one's slots compete afresh (housekeeping)
        Offer.objects.filter(status="pending").update(status="declined", ended_at=now())
        Cancellation.objects.filter(pk__in=[c.pk for c in slots]).update(status="withdrawn", next_wave_at=None)
        clock.advance(hours=5)
    assert written > ROUNDS  # the bounds were written and checked, not absent
