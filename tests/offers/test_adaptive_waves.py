"""As the slot nears, holds shorten and waves grow; no hold ever ends after the cutoff
(rule in docs/OFFER_ENGINE.md)."""

import datetime as dt

import pytest

from offers.policy import plan_wave

AT = dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)


def plan(minutes_left: float):
    return plan_wave(at=AT, deadline=AT + dt.timedelta(minutes=minutes_left))


def test_with_room_for_four_holds_a_wave_is_the_default_size_and_hold(settings):
    p = plan(4 * settings.OFFER_HOLD_MINUTES)
    assert (p.batch, p.hold) == (settings.OFFER_BATCH_SIZE, dt.timedelta(minutes=settings.OFFER_HOLD_MINUTES))
    assert plan(600).batch == settings.OFFER_BATCH_SIZE


@pytest.mark.parametrize(
    ("left", "batch", "hold_seconds"),
    [(28, 3, 420), (20, 5, 300), (10, 9, 150), (8, 10, 120), (6, 10, 120), (2, 10, 120)],
)
def test_near_the_cutoff_holds_shrink_to_a_quarter_of_the_time_left_and_waves_grow(left, batch, hold_seconds):
    p = plan(left)
    assert (p.batch, int(p.hold.total_seconds())) == (batch, hold_seconds)


def test_less_than_the_shortest_hold_left_means_no_wave():
    assert plan(1.99) is None
    assert plan(-5) is None


def test_as_the_slot_nears_holds_never_grow_waves_never_shrink_and_no_hold_passes_the_cutoff():
    previous = None
    for seconds_left in range(3 * 3600, 119, -7):
        deadline = AT + dt.timedelta(seconds=seconds_left)
        p = plan_wave(at=AT, deadline=deadline)
        assert p.expires_at <= deadline
        assert p.expires_at == AT + p.hold
        if previous is not None:
            assert p.hold <= previous.hold
            assert p.batch >= previous.batch
        previous = p


def test_the_sizes_follow_settings(settings):
    settings.OFFER_BATCH_SIZE, settings.OFFER_HOLD_MINUTES = 5, 10
    settings.OFFER_MIN_HOLD_MINUTES, settings.OFFER_MAX_BATCH_SIZE = 4, 8
    assert (plan(60).batch, plan(60).hold) == (5, dt.timedelta(minutes=10))
    assert (plan(20).batch, plan(20).hold) == (8, dt.timedelta(minutes=5))
    assert plan(3.9) is None


@pytest.mark.django_db
def test_waves_run_down_to_the_cutoff_growing_and_shortening_and_never_passing_it(clock, settle, settings):
    from offers import services
    from offers.models import Cancellation, Offer

    from ._support import clinic, slot, waiting

    settings.OFFER_MAX_BATCH_SIZE = 6
    waiting(60)
    start = clock.current + dt.timedelta(minutes=60 + 20)  # 20 minutes before the cutoff
    c = slot(clinic(), start_at=start)
    settle()
    deadline = start - dt.timedelta(minutes=60)
    sizes, holds = [], []
    while True:
        c.refresh_from_db()
        if c.status != Cancellation.Status.OFFERING:
            break
        wave = list(Offer.objects.filter(cancellation=c, wave=c.current_wave))
        assert all(o.expires_at <= deadline for o in wave)
        sizes.append(len(wave))
        holds.append(wave[0].expires_at - wave[0].sent_at)
        clock.set(wave[0].expires_at + dt.timedelta(seconds=settings.OFFER_EXPIRY_GRACE_SECONDS))
        services.engine_tick()
        settle()
    assert (c.status, c.end_reason) == (Cancellation.Status.UNFILLED, Cancellation.EndReason.CUTOFF)
    assert sizes[0] == 5 and holds[0] == dt.timedelta(minutes=5)
    assert sizes == sorted(sizes) and holds == sorted(holds, reverse=True)
    assert sizes[-1] == 6 and holds[-1] == dt.timedelta(minutes=2)
