"""Small formatting helpers for the staff console templates."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()

BREAKDOWN_LABELS = {
    "urgent": "urgent",
    "manual_boost": "boost",
    "current_appointment": "current appt",
    "time_on_list": "time on list",
}


@register.filter
def epoch_ms(value: dt.datetime | None) -> int | str:
    """For the JavaScript countdowns: milliseconds since the epoch."""
    if value is None:
        return ""
    return int(value.timestamp() * 1000)


@register.filter
def local(value: dt.datetime | None, location) -> str:
    """A time as the location's front desk reads it, with its zone abbreviation."""
    if value is None:
        return "-"
    tz = location.tz if hasattr(location, "tz") else None
    shown = value.astimezone(tz) if tz is not None else value
    hour = shown.hour % 12 or 12
    return f"{shown:%a %b} {shown.day}, {hour}:{shown:%M} {'AM' if shown.hour < 12 else 'PM'} {shown.tzname()}"


@register.filter
def local_time(value: dt.datetime | None, location) -> str:
    if value is None:
        return "-"
    shown = value.astimezone(location.tz)
    hour = shown.hour % 12 or 12
    return f"{hour}:{shown:%M} {'AM' if shown.hour < 12 else 'PM'}"


@register.filter
def breakdown(value: dict | None) -> str:
    """A score breakdown as one readable line: "urgent 30 + boost 10 + current appt 20 = 60"."""
    if not value:
        return "-"
    parts = [f"{label} {value[key]}" for key, label in BREAKDOWN_LABELS.items() if value.get(key)]
    total = value.get("total")
    line = " + ".join(parts) or "0"
    if total is not None:
        line += f" = {total}"
    notes = [str(value[k]) for k in ("current_appointment_note",) if value.get(k)]
    if value.get("days_on_list") is not None:
        notes.append(f"{value['days_on_list']} days on list")
    return f"{line} ({'; '.join(notes)})" if notes else line


@register.filter
def masked(e164: str | None) -> str:
    return f"***{(e164 or '')[-4:]}"


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def ehr_ticks(cancellation) -> list[tuple[str, dt.datetime | None, str]]:
    """The two EHR follow-ups of a fill, in the order staff do them."""
    c = cancellation
    return [("booked", c.ehr_booked_at, c.ehr_booked_by), ("released", c.ehr_released_at, c.ehr_released_by)]
