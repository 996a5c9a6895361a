"""Template context for offer texts, formatted in the location's time zone and the patient's
language. Only short names and times: no patient names, no visit reasons."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from .models import Cancellation

_ES_DAYS = ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"]
_ES_MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"]


def fmt_day(value: dt.datetime, language: str) -> str:
    if language == "es":
        return f"{_ES_DAYS[value.weekday()]} {value.day} {_ES_MONTHS[value.month - 1]}"
    return f"{value:%a %b} {value.day}"


def fmt_time(value: dt.datetime, language: str) -> str:
    if language == "es":
        return f"{value:%H:%M}"
    hour = value.hour % 12 or 12
    return f"{hour}:{value:%M} {'AM' if value.hour < 12 else 'PM'}"


def slot_context(
    cancellation: Cancellation, language: str, *, reply_by: dt.datetime | None = None, has_current: bool = False
) -> dict:
    location = cancellation.location
    tz = location.tz
    start = cancellation.start_at.astimezone(tz)
    discreet = location.discreet
    ctx = {
        "day": fmt_day(start, language),
        "time": fmt_time(start, language),
        "provider": "" if discreet else cancellation.provider.sms_name,
        "location": "" if discreet else location.sms_name,
        "address": location.address,
        # staff write one note per language; a Spanish text never carries the English one
        "arrival_note": location.arrival_note_es if language == "es" else location.arrival_note,
        "discreet": discreet,
        "clinic": "" if discreet else settings.CLINIC_NAME,
        # whether the patient has an appointment this one replaces (the "confirmed" and "taken"
        # texts speak of it only then)
        "has_current": has_current,
    }
    if reply_by is not None:
        ctx["reply_by"] = fmt_time(reply_by.astimezone(tz), language)
    return ctx
