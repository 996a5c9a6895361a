"""The years clinicbot accepts for any date or time that comes in (API, imports, console forms).

A year outside this range is a slip (0001 for 2001, 2999 for 2029, 9999 for "never"), and near the
ends of what Python's datetime holds a day added or a time zone applied overflows into a 500 far
from the input: refused where a value comes in, with this message on the field."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
OUT_OF_RANGE = f"Give a year from {EARLIEST_YEAR} to {LATEST_YEAR}."


def in_range(value: dt.date) -> bool:
    """For a datetime, its year in UTC (as stored)."""
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


def validate_year(value: dt.date) -> None:
    """The form validator (console forms)."""
    if not in_range(value):
        raise ValidationError(OUT_OF_RANGE)
