"""The timer process (in the Procfile beside web and worker).

django-q2 has no delayed start and its scheduler ticks coarsely, so hold expiry and due waves are
found here by polling two small indexed queries several times a second (docs/OFFER_ENGINE.md).
Everything it does is a conditional update, so two timers are safe; one is enough."""

from __future__ import annotations

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from clinicbot.clock import now
from clinicbot.health import BACKGROUND
from clinicbot.sending_window import default_window
from core.services import heartbeat_beat
from offers import services
from offers.selectors import timer_next_due
from waitlist.tasks import REFRESH_TASK

log = logging.getLogger("clinicbot.timer")

SWEEP_EVERY = 15.0
# The daily score refresh runs in a chain of worker tasks, and a lost link (a worker killed mid-task,
# a broker restart) would leave the rest of the list on yesterday's points until the next midnight.
# Asking again every few hours the same day is cheap (only changed rows are written) and bounds that.
REFRESH_AGAIN_EVERY = 3 * 3600.0


def refresh_due(*, today, asked_on, asked_at: float, started: float) -> bool:
    """Whether the timer asks for the score refresh now: on a new clinic day, and again every
    REFRESH_AGAIN_EVERY seconds (monotonic) within the day."""
    return asked_on != today or started - asked_at >= REFRESH_AGAIN_EVERY


class Command(BaseCommand):
    help = "Run the offer timer: hold expiry, due waves, the sweeper, heartbeats."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one tick and one sweep, then exit")

    def handle(self, *args, once=False, **options):
        stop = {"now": False}

        def _stop(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        tick = settings.TIMER_TICK_SECONDS
        last = {"sweep": 0.0, "timer": 0.0, "worker": 0.0}
        refreshed_on, refreshed_at = None, 0.0
        log.info("timer started, tick %.2fs", tick)
        while not stop["now"]:
            started = time.monotonic()
            try:
                services.engine_tick()
                if started - last["sweep"] >= SWEEP_EVERY or once:
                    services.sweep()
                    last["sweep"] = started
                if started - last["timer"] >= BACKGROUND["timer"] or once:
                    heartbeat_beat(name="timer", period_seconds=BACKGROUND["timer"])
                    last["timer"] = started
                if started - last["worker"] >= BACKGROUND["worker"]:
                    self._ask_worker_heartbeat()
                    last["worker"] = started
                # the clinic's date, not UTC's: scores move at local midnight
                today = now().astimezone(default_window().tz).date()
                if refresh_due(today=today, asked_on=refreshed_on, asked_at=refreshed_at, started=started):
                    # in a worker, in pieces: on a large waitlist the walk takes minutes, and the
                    # timer must keep expiring holds meanwhile
                    self._ask_priorities_refresh(today)
                    refreshed_on, refreshed_at = today, started
            except Exception:  # noqa: BLE001 - a database restart must not kill the timer
                log.exception("timer tick failed; retrying")
                close_old_connections()
                time.sleep(1.0)
            if once:
                return
            # one connection kept across ticks (a reconnect per tick would cost more than the tick's
            # queries); after an error it is dropped above and opened afresh
            time.sleep(self._pause(tick - (time.monotonic() - started)))
        log.info("timer stopped")

    @staticmethod
    def _pause(until_tick: float) -> float:
        """Sleep until the next tick, or less when a hold ends or a wave falls due sooner: expiry is
        then processed right at expires_at + grace instead of up to a tick later. Work already due
        (e.g. waves held back by a sender-wide pause) waits for the next tick, so this never spins."""
        try:
            due = timer_next_due()
        except Exception:  # noqa: BLE001 - the tick itself reports database trouble
            return max(0.0, until_tick)
        if due is not None:
            ahead = (due - now()).total_seconds()
            if 0 < ahead < until_tick:
                return ahead
        return max(0.0, until_tick)

    @staticmethod
    def _ask_priorities_refresh(today) -> None:
        if getattr(settings, "TASKS_EAGER", False):
            from waitlist.tasks import priorities_refresh_task

            priorities_refresh_task(today.isoformat())
            return
        from django_q.tasks import async_task

        # raises when the broker is down: the tick fails, refreshed_on stays unset, the next tick asks again
        async_task(REFRESH_TASK, today.isoformat(), 0, q_options={"group": "priorities_refresh"})

    def _ask_worker_heartbeat(self) -> None:
        from django_q.tasks import async_task

        async_task("core.tasks.worker_heartbeat_task", BACKGROUND["worker"], q_options={"group": "heartbeat"})
