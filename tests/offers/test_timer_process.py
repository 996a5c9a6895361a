"""The timer process: django-q2 has no delayed start, so `run_timer` polls two indexed queries
every TIMER_TICK_SECONDS, sleeping less when a hold ends sooner, and never spinning on work that is
already due but held back."""

import datetime as dt

import pytest
from django.core.management import call_command

from core.models import Heartbeat
from messaging import services as messaging
from offers.management.commands.run_timer import Command
from offers.selectors import timer_next_due

from ._support import clinic, pending, slot, waiting

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(clock, settle, settings):
    settings.OFFER_BATCH_SIZE = 1
    waiting(2)
    c = slot(clinic())
    settle()
    return c


def test_one_pass_expires_ended_holds_starts_the_next_wave_and_beats(c, clock, settle):
    clock.advance(minutes=7, seconds=2)
    call_command("run_timer", "--once")
    settle()
    c.refresh_from_db()
    assert c.current_wave == 2
    assert Heartbeat.objects.filter(name="timer").exists()


def test_the_next_due_instant_is_the_first_hold_end_plus_the_grace(c, settings):
    (offer,) = pending(c)
    assert timer_next_due() == offer.expires_at + dt.timedelta(seconds=settings.OFFER_EXPIRY_GRACE_SECONDS)


def test_the_timer_sleeps_less_than_a_tick_when_a_hold_ends_sooner(c, clock, settings):
    (offer,) = pending(c)
    clock.set(offer.expires_at + dt.timedelta(seconds=settings.OFFER_EXPIRY_GRACE_SECONDS - 0.1))
    assert Command._pause(0.25) == pytest.approx(0.1)
    clock.advance(seconds=10)  # already due: the next tick handles it, no busy loop
    assert Command._pause(0.25) == 0.25


def test_waves_held_back_by_a_sender_pause_do_not_make_the_timer_spin(c, clock, settle):
    messaging.sender_pause(reason="test")
    clock.advance(minutes=8)
    call_command("run_timer", "--once")
    settle()
    assert Command._pause(0.25) == 0.25


def test_a_slot_whose_wave_keeps_failing_does_not_starve_the_others(clock, settle, monkeypatch):
    from offers import selectors, services

    cl = clinic()
    waiting(4)
    broken = slot(cl)
    healthy = slot(cl, start_at=broken.start_at + dt.timedelta(hours=1))
    real = selectors.pick_wave

    def pick(*, cancellation, at, size):
        if cancellation.pk == broken.pk:
            raise RuntimeError("a bug in one slot's data")
        return real(cancellation=cancellation, at=at, size=size)

    monkeypatch.setattr(services, "pick_wave", pick)
    services.engine_tick()
    settle()
    healthy.refresh_from_db()
    broken.refresh_from_db()
    assert healthy.current_wave == 1
    assert broken.current_wave == 0 and broken.next_wave_at > clock.current
