"""The one `now()` seam. Services, selectors and queries take time from here (never the database's
NOW()), so tests and the fill simulator can move the clock without waiting."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from contextlib import contextmanager

from django.utils import timezone

_override: Callable[[], dt.datetime] | None = None
_lock = threading.Lock()


def now() -> dt.datetime:
    fn = _override
    return fn() if fn is not None else timezone.now()


def set_clock(fn: Callable[[], dt.datetime] | None) -> None:
    global _override
    with _lock:
        _override = fn


class FrozenClock:
    """A settable clock: `clock.advance(minutes=5)`."""

    def __init__(self, start: dt.datetime):
        self.current = start

    def __call__(self) -> dt.datetime:
        return self.current

    def advance(self, **delta) -> dt.datetime:
        self.current = self.current + dt.timedelta(**delta)
        return self.current

    def set(self, when: dt.datetime) -> None:
        self.current = when


@contextmanager
def frozen(start: dt.datetime):
    clock = FrozenClock(start)
    previous = _override
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)
