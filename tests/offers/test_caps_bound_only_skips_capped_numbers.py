"""Each wave writes on its numbers' entries until when the offer caps keep them out, so selection
passes over capped numbers without counting their offers. The bound may only ever skip an entry
the exact caps would exclude: these tests hold it to that."""

import datetime as dt

import pytest

from clinicbot.clock import now
from offers.models import Offer
from offers.selectors import WEEK, caps_bound
from tests import factories as f
from waitlist import services as waitlist
from waitlist.models import WaitlistEntry

from ._support import SLOT_AT, clinic, eligible_ids, pending, slot, text_in

pytestmark = pytest.mark.django_db

STAFF = f.STAFF


def _offer(entry, cl, *, sent_ago, hours):
    c = slot(cl, start_at=SLOT_AT + dt.timedelta(days=2, hours=hours))
    Offer.objects.filter(cancellation=c).delete()
    at = now()
    return Offer.objects.create(
        cancellation=c, entry=entry, patient=entry.patient, phone=entry.patient.phone, wave=1,
        status=Offer.Status.DECLINED, score=0, sent_at=at - sent_ago,
        expires_at=at - sent_ago + dt.timedelta(minutes=7), ended_at=at - sent_ago + dt.timedelta(minutes=1),
    )


def test_a_wave_marks_every_entry_on_its_numbers_capped_until_a_day_after_it(clock, sms, settle):
    cl = clinic()
    parent = f.patient()
    child = f.patient(phone=parent.phone.e164, first="Kid")
    e_parent = f.entry(parent, atype=cl.atype)
    e_child_other_type = f.entry(child)  # another type: the number's cap covers it too
    at = now()
    c = slot(cl)
    settle()
    assert [o.entry_id for o in pending(c)] == [e_parent.pk]
    for e in (e_parent, e_child_other_type):
        e.refresh_from_db()
        assert e.offer_capped_until == at + dt.timedelta(days=1)
        assert e.offer_caps_rule == "1/3"


def test_the_week_cap_bound_comes_from_the_third_offer_of_the_week(clock, sms, settle):
    cl = clinic()
    e = f.entry(f.patient(), atype=cl.atype)
    _offer(e, cl, sent_ago=dt.timedelta(days=4), hours=1)
    _offer(e, cl, sent_ago=dt.timedelta(days=2), hours=2)
    at = now()
    c = slot(cl)
    settle()
    assert [o.entry_id for o in pending(c)] == [e.pk]
    e.refresh_from_db()
    # the third offer this week: out until the oldest of the three is a week old, not just a day
    assert e.offer_capped_until == at - dt.timedelta(days=4) + WEEK


def test_the_bound_is_the_instant_the_exact_caps_let_the_number_back(clock, sms, settle):
    cl = clinic()
    e = f.entry(f.patient(), atype=cl.atype)
    slot(cl)
    settle()
    e.refresh_from_db()
    later = slot(cl, start_at=SLOT_AT + dt.timedelta(days=3))
    Offer.objects.filter(cancellation=later).delete()  # only the first slot's offer counts here
    Offer.objects.filter(entry=e).update(status=Offer.Status.DECLINED, ended_at=now())  # not pending
    back = Offer.objects.get(entry=e).sent_at + dt.timedelta(days=1)  # the day cap's own reckoning
    assert e.offer_capped_until == back
    assert eligible_ids(later, at=back) == set()
    assert eligible_ids(later, at=back + dt.timedelta(microseconds=1)) == {e.pk}


def test_a_bound_written_under_other_caps_is_not_trusted(clock, settings, sms, settle):
    cl = clinic()
    e = f.entry(f.patient(), atype=cl.atype)
    # a bound far in the future, written when the caps were 1 a day and 3 a week
    WaitlistEntry.objects.filter(pk=e.pk).update(offer_capped_until=now() + WEEK, offer_caps_rule="1/3")
    c = slot(cl, start_at=SLOT_AT + dt.timedelta(days=3))
    Offer.objects.filter(cancellation=c).delete()
    assert eligible_ids(c) == set()
    settings.OFFER_CAP_PER_DAY = 2  # the caps changed: the stored bound no longer says anything
    assert eligible_ids(c) == {e.pk}


def test_a_patient_given_another_number_is_not_held_back_by_the_old_numbers_caps(clock, sms, settle):
    cl = clinic()
    p = f.patient()
    e = f.entry(p, atype=cl.atype)
    slot(cl)
    settle()
    e.refresh_from_db()
    assert e.offer_capped_until is not None
    waitlist.patient_upsert(actor=STAFF, first_name=p.first_name, last_name=p.last_name, phone=f.phone_number(),
                            consent_source="written", patient=p)
    e.refresh_from_db()
    assert e.offer_capped_until is None
    c = slot(cl, start_at=SLOT_AT + dt.timedelta(days=3))
    settle()
    assert [o.entry_id for o in Offer.objects.filter(cancellation=c)] == [e.pk]


def test_selection_is_the_same_with_the_bounds_as_without_them(clock, settings, sms, settle):
    sms.plays_provider = False
    settings.OFFER_COOLDOWN_MINUTES = 0
    cl = clinic()
    entries = [f.entry(f.patient(), atype=cl.atype) for _ in range(12)]
    # three days of slots, each answered NO by everyone so later waves reach further down the list
    for day in range(3):
        for k in range(3):
            c = slot(cl, start_at=SLOT_AT + dt.timedelta(days=2 + day, hours=k))
            settle()
            for o in pending(c):
                text_in(o.phone.e164, "no")
                settle()
        clock.advance(hours=9)
    assert WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries], offer_capped_until__isnull=False).count() >= 9
    probe = slot(cl, start_at=SLOT_AT + dt.timedelta(days=9))
    Offer.objects.filter(cancellation=probe).delete()
    # the instants where a stored bound and the exact caps could disagree: either side of each
    tiny = dt.timedelta(microseconds=1)
    edges = {t + d for t in Offer.objects.values_list("sent_at", flat=True) for d in (dt.timedelta(days=1), WEEK)}
    edges |= set(WaitlistEntry.objects.filter(offer_capped_until__isnull=False)
                 .values_list("offer_capped_until", flat=True))
    for at in sorted({e + d for e in edges for d in (-tiny, dt.timedelta(0), tiny)}):
        with_bounds = eligible_ids(probe, at=at)
        saved = list(WaitlistEntry.objects.values_list("pk", "offer_capped_until", "offer_caps_rule"))
        WaitlistEntry.objects.update(offer_capped_until=None, offer_caps_rule="")
        assert eligible_ids(probe, at=at) == with_bounds, at
        for pk, until, rule in saved:
            WaitlistEntry.objects.filter(pk=pk).update(offer_capped_until=until, offer_caps_rule=rule)


def test_no_cap_reached_means_no_bound(settings):
    settings.OFFER_CAP_PER_DAY, settings.OFFER_CAP_PER_WEEK = 2, 3
    t = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)
    assert caps_bound([t]) is None
    assert caps_bound([t, t - dt.timedelta(hours=3)]) == t - dt.timedelta(hours=3) + dt.timedelta(days=1)
    settings.OFFER_CAP_PER_DAY = 0  # a cap of 0 is left to the exact counts
    assert caps_bound([t]) is None
