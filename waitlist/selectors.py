from __future__ import annotations

import datetime as dt

from django.conf import settings

from clinicbot.sending_window import Window

from .models import ClosureDate, Location


def location_window(location: Location, *, around: dt.datetime | None = None) -> Window:
    start, end = settings.SENDING_HOURS
    if location.sending_start is not None:
        start = location.sending_start
    if location.sending_end is not None:
        end = location.sending_end if location.sending_end != dt.time(0) else None
    if end is not None and start >= end:
        # an override that leaves no window (e.g. only the start moved past the default end): keep
        # the clinic default rather than never texting or texting all night
        start, end = settings.SENDING_HOURS
    closures = ClosureDate.objects.filter(location=location)
    if around is not None:
        day = around.date()
        closures = closures.filter(date__gte=day - dt.timedelta(days=2), date__lte=day + dt.timedelta(days=62))
    return Window(tz=location.tz, start=start, end=end, closed_dates=frozenset(closures.values_list("date", flat=True)))


def location_cutoff_minutes(location: Location) -> int:
    return location.cutoff_minutes if location.cutoff_minutes is not None else settings.OFFER_CUTOFF_MINUTES
