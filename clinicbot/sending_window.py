"""When outreach may text a patient: a daily window in the recipient location's local time, no
texts on closure dates. Pure functions of (zone, window, closures, instant) so DST days are tested
directly. Replies to a patient's own text ignore the window; new offers and waves respect it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    tz: zoneinfo.ZoneInfo
    start: dt.time
    end: dt.time | None  # None = 24:00
    closed_dates: frozenset[dt.date] = frozenset()

    def _bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        # Wall-clock times resolved in the zone; fold=0 picks the first of an ambiguous hour,
        # and a non-existent time (spring forward) lands after the gap once normalised.
        opens = dt.datetime.combine(day, self.start, tzinfo=self.tz)
        if self.end is None:
            closes = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz)
        else:
            closes = dt.datetime.combine(day, self.end, tzinfo=self.tz)
        return _normalise(opens), _normalise(closes)

    def is_open(self, at: dt.datetime) -> bool:
        local = at.astimezone(self.tz)
        if local.date() in self.closed_dates:
            return False
        opens, closes = self._bounds(local.date())
        return opens <= at < closes

    def next_open(self, at: dt.datetime, horizon_days: int = 60) -> dt.datetime | None:
        """`at` itself when open, else the next opening instant (None past the horizon)."""
        if self.is_open(at):
            return at
        day = at.astimezone(self.tz).date()
        for offset in range(horizon_days + 1):
            candidate = day + dt.timedelta(days=offset)
            if candidate in self.closed_dates:
                continue
            opens, closes = self._bounds(candidate)
            if closes <= at:
                continue
            return max(opens, at)
        return None

    def closes_at(self, at: dt.datetime) -> dt.datetime | None:
        """When the window containing `at` closes (None when closed at `at`)."""
        if not self.is_open(at):
            return None
        return self._bounds(at.astimezone(self.tz).date())[1]

    def sending_stops_at(self, at: dt.datetime) -> dt.datetime | None:
        """When outreach that may go at `at` must stop: the close of the window containing `at`,
        unless the window opens again at that very instant (24-hour sending running into the next
        day). None when it never stops within the day's window chain, or when closed at `at`."""
        closes = self.closes_at(at)
        if closes is None or self.is_open(closes):
            return None
        return closes


def default_window() -> Window:
    """`SENDING_HOURS` in the clinic's zone: the window of texts not tied to a location."""
    from django.conf import settings

    start, end = settings.SENDING_HOURS
    return Window(tz=zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE), start=start, end=end)


def _normalise(value: dt.datetime) -> dt.datetime:
    # round-trip through UTC: turns a wall time inside a DST gap into a real instant
    return value.astimezone(dt.UTC).astimezone(value.tzinfo)
