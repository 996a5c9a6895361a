"""The ranking score. Stored on each entry (refreshed on change and daily) so selection reads an
index instead of computing per row; its breakdown is shown to staff and copied onto each offer."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings


def _local_date(instant: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.date:
    try:
        return instant.astimezone(tz).date()
    except OverflowError:
        # Only within hours of the year 1 or 9999 (the API and imports refuse such years; a row saved
        # another way may hold one): the daily refresh must not stop on it, and a day either way
        # changes no score that far out.
        return instant.date()


def compute(
    *,
    urgent: bool,
    manual_boost: int,
    current_appointment_at: dt.datetime | None,
    joined_at: dt.datetime,
    today: dt.date,
    tz: zoneinfo.ZoneInfo | None = None,
) -> tuple[int, dict]:
    """`today` is the clinic's local date; instants are turned into dates in the same zone (a visit
    at 7 p.m. Chicago on the 30th is on the 30th, not on the UTC 31st)."""
    w = settings.PRIORITY_WEIGHTS
    tz = tz or zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)
    urgent_pts = w["urgent"] if urgent else 0
    if current_appointment_at is None:
        appt_pts = w["appt_180_plus"]
        appt_note = "no appointment yet"
    else:
        days = (_local_date(current_appointment_at, tz) - today).days
        if days >= 180:
            appt_pts = w["appt_180_plus"]
        elif days >= 90:
            appt_pts = w["appt_90_179"]
        elif days >= 30:
            appt_pts = w["appt_30_89"]
        else:
            appt_pts = 0
        appt_note = f"current appointment in {days} days"
    waited_days = max(0, (today - _local_date(joined_at, tz)).days)
    waited_pts = min(w["days_cap"], (waited_days // 30) * w["per_30_days"])
    total = urgent_pts + manual_boost + appt_pts + waited_pts
    breakdown = {
        "urgent": urgent_pts,
        "manual_boost": manual_boost,
        "current_appointment": appt_pts,
        "current_appointment_note": appt_note,
        "time_on_list": waited_pts,
        "days_on_list": waited_days,
        "total": total,
    }
    return total, breakdown
