from __future__ import annotations

import datetime as dt

from django.conf import settings

from clinicbot.sending_window import Window
from core.prepared import Prepared

from .models import ClosureDate, Location, Provider


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
    if around is None:
        closed = _CLOSURES.all(location_id=location.pk)
    else:
        day = around.date()
        closed = _CLOSURES_NEAR.all(location_id=location.pk, first=day - dt.timedelta(days=2),
                                    last=day + dt.timedelta(days=62))
    return Window(tz=location.tz, start=start, end=end, closed_dates=frozenset(closed))


# every wave reads its location's closures (core/prepared.py)
_CLOSURES = Prepared(lambda p: ClosureDate.objects.filter(location_id=p.location_id).values_list("date", flat=True))
_CLOSURES_NEAR = Prepared(
    lambda p: ClosureDate.objects.filter(location_id=p.location_id, date__gte=p.first, date__lte=p.last)
    .values_list("date", flat=True)
)


def provider_takes(*, provider_id: int, type_id: int) -> bool:
    """Whether the provider sees this type of visit."""
    return bool(_PROVIDES.all(provider_id=provider_id, type_id=type_id))


def provider_works_at(*, provider_id: int, location_id: int) -> bool:
    return bool(_WORKS_AT.all(provider_id=provider_id, location_id=location_id))


# every slot logged asks both (core/prepared.py)
_PROVIDES = Prepared(
    lambda p: Provider.appointment_types.through.objects.filter(provider_id=p.provider_id, appointmenttype_id=p.type_id)
    .values_list("pk", flat=True)[:1]
)
_WORKS_AT = Prepared(
    lambda p: Provider.locations.through.objects.filter(provider_id=p.provider_id, location_id=p.location_id)
    .values_list("pk", flat=True)[:1]
)


def location_cutoff_minutes(location: Location) -> int:
    return location.cutoff_minutes if location.cutoff_minutes is not None else settings.OFFER_CUTOFF_MINUTES
