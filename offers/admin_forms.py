"""Forms of the staff console's offer pages: parse and validate input, never write."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from waitlist.models import AppointmentType, Location, Provider
from waitlist.validators import OUT_OF_RANGE, validate_year

from . import services

# service error keys -> the form field that shows them
_FIELD_FOR = {
    "start_at": "time",
    "time": "time",
    "duration_minutes": "duration_minutes",
    "provider": "provider",
    "location": "location",
    "appointment_type": "appointment_type",
}


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, each message by the field it is about."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            name = _FIELD_FOR.get(key)
            for message in errors:
                form.add_error(name if name in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def local_datetime(day: dt.date, time: dt.time, location: Location) -> dt.datetime:
    """The instant a front desk means by a wall-clock date and time at this location."""
    tz = location.tz
    naive = dt.datetime.combine(day, time)
    aware = naive.replace(tzinfo=tz)
    try:
        round_trip = aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    except OverflowError:
        # the last hours of year 9999 or the first of year 1: no clinic day (the field refuses such
        # years; this keeps any other caller from a 500)
        raise ValidationError({"date": OUT_OF_RANGE}) from None
    # a wall time skipped by a DST change does not survive the round trip through UTC
    if round_trip != naive:
        raise ValidationError({"time": f"{time:%H:%M} does not exist on {day} in {location.time_zone} (clock change)."})
    return aware


class LogCancellationForm(forms.Form):
    provider = forms.ModelChoiceField(queryset=Provider.objects.filter(active=True))
    location = forms.ModelChoiceField(queryset=Location.objects.all())
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_year])
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                           help_text="In the location's time zone")
    duration_minutes = forms.IntegerField(
        label="Minutes", min_value=1, max_value=480, required=False,
        help_text="Empty: the visit type's usual length",
    )
    appointment_type = forms.ModelChoiceField(label="Visit type", queryset=AppointmentType.objects.all())

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["start_at"] = local_datetime(data["date"], data["time"], data["location"])
        except ValidationError as exc:
            add_service_errors(self, exc)
            return data
        if not data.get("duration_minutes"):
            data["duration_minutes"] = data["appointment_type"].default_minutes
        try:
            services.cancellation_validate(
                provider=data["provider"], location=data["location"], appointment_type=data["appointment_type"],
                start_at=data["start_at"], duration_minutes=data["duration_minutes"],
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return data


class FilledByPhoneForm(forms.Form):
    note = forms.CharField(max_length=200, required=False)


class NextWaveForm(forms.Form):
    """"Send next wave now" names the wave the page showed: a second click, or a click on a stale
    page, then starts nothing instead of another wave."""

    after_wave = forms.IntegerField(min_value=0, max_value=32767, required=False, widget=forms.HiddenInput)
