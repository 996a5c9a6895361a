"""The managers' metrics page: one call to `offers.metrics.fill_metrics` (the selector the API's
`metrics/` uses too), rendered as figures, breakdown tables and two charts drawn here as SVG (no
chart library, no CDN)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from clinicbot.clock import now
from waitlist.models import AppointmentType, Location, Provider
from waitlist.validators import validate_year

from . import metrics as metrics_selector

# key (a.b for nested) -> (label, format); anything else fill_metrics returns is shown too
FIGURES = [
    ("slots_logged", "Slots logged", "int"),
    ("slots_filled", "Slots filled", "int"),
    ("fill_rate", "Fill rate", "pct"),
    ("fill_rate_2h", "Filled within 2 h of logging", "pct"),
    ("time_to_fill_minutes.median", "Median time to fill", "min"),
    ("time_to_fill_minutes.p90", "p90 time to fill", "min"),
    ("offers_per_fill", "Offers per fill", "num"),
    ("texts_per_fill", "Texts per fill", "num"),
    ("reply_rate", "Reply rate", "pct"),
    ("opt_out_rate", "Opt-out rate", "pct"),
    ("delivery_failure_rate", "Delivery-failure rate", "pct"),
    ("staff_action_share", "Slots that needed staff", "pct"),
    ("median_days_moved_up", "Median days moved up", "days"),
    ("yes_to_ehr_booked_minutes.median", "YES to booked in EHR (median)", "min"),
    ("yes_to_ehr_booked_minutes.p90", "YES to booked in EHR (p90)", "min"),
    ("max_texts_per_number_week", "Most texts to one number in a week", "int"),
    ("sms_cost_per_fill", "SMS cost per fill", "money"),
    ("sms_cost", "SMS cost", "money"),
    ("estimated_revenue", "Estimated revenue recovered", "money"),
]
HIDDEN = {"period", "filters", "daily", "fill_rate_target", "sms_segment_price", "visit_value"}


class MetricsForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_year])
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="Inclusive",
                          validators=[validate_year])
    provider = forms.ModelChoiceField(queryset=Provider.objects.all(), required=False)
    location = forms.ModelChoiceField(queryset=Location.objects.all(), required=False)
    appointment_type = forms.ModelChoiceField(label="Visit type", queryset=AppointmentType.objects.all(),
                                              required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end is before the start.")
            elif (end - start).days > 366:
                self.add_error("end", "Choose at most a year.")
        return data


def kind_for(key: str) -> str:
    """How to show a figure the page has no label for, from its name."""
    if any(word in key for word in ("rate", "share")):
        return "pct"
    if "minutes" in key:
        return "min"
    if "per_" in key:
        return "num"
    if "cost" in key or "revenue" in key:
        return "money"
    return "auto"


def fmt(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value * 100:.1f} %"
    if kind == "min":
        return f"{value:.0f} min" if value < 120 else f"{value / 60:.1f} h"
    if kind == "days":
        return f"{value:.1f} days"
    if kind == "money":
        if value < 0.1:
            return f"${value:.4f}"  # SMS cost per fill is a fraction of a cent or so
        return f"${value:,.2f}" if value < 100 else f"${value:,.0f}"
    if kind == "num":
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _lookup(data: dict, key: str):
    value = data
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None, False
        value = value[part]
    return value, True


def figures(data: dict) -> list[dict]:
    """Known figures first, in order; then every other scalar the selector returns."""
    out, seen = [], set()
    for key, label, kind in FIGURES:
        value, present = _lookup(data, key)
        if present:
            out.append({"key": key, "label": label, "value": fmt(value, kind)})
            seen.add(key)
    for key, value in data.items():
        if key in HIDDEN or isinstance(value, list):
            continue
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, v in items:
            full = f"{key}.{sub}" if sub else key
            if full in seen or isinstance(v, dict | list):
                continue
            label = full.replace("_", " ").replace(".", ": ").capitalize()
            out.append({"key": full, "label": label, "value": fmt(v, kind_for(full))})
    return out


def breakdowns(data: dict) -> list[dict]:
    """Every list of rows (by provider, location, type, notice given) as a table."""
    tables = []
    for key, rows in data.items():
        if key == "daily" or not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
            continue
        columns = [c for c in rows[0] if c not in ("key", "label")]
        tables.append({
            "title": key.replace("by_", "by ").replace("_", " ").capitalize(),
            "columns": [c.replace("_minutes", "").replace("_", " ") for c in columns],
            "rows": [{"label": r.get("label", r.get("key")),
                      "cells": [fmt(r.get(c), kind_for(c)) for c in columns]} for r in rows],
        })
    return tables


def svg_bar_chart(points: list[tuple[str, float | None]], *, title: str, unit: str = "", width=760, height=220,
                  css="cb-bar") -> str:
    """A small bar chart as inline SVG (labels escaped)."""
    pad_l, pad_r, pad_t, pad_b = 44, 10, 22, 34
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    values = [v for _, v in points if v is not None]
    top = max(values) if values and max(values) > 0 else 1
    n = max(1, len(points))
    slot = inner_w / n
    bar_w = max(1.0, slot * 0.7)
    parts = [
        f'<svg class="cb-chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{pad_l}" y="14">{escape(title)}</text>',
        f'<line class="cb-axis" x1="{pad_l}" y1="{pad_t + inner_h}" x2="{width - pad_r}" y2="{pad_t + inner_h}" stroke="#ccc"/>',
        f'<text x="{pad_l - 6}" y="{pad_t + 8}" text-anchor="end">{escape(_short(top))}{escape(unit)}</text>',
        f'<text x="{pad_l - 6}" y="{pad_t + inner_h}" text-anchor="end">0</text>',
    ]
    every = max(1, n // 10)
    for i, (label, value) in enumerate(points):
        x = pad_l + i * slot + (slot - bar_w) / 2
        if value:
            h = inner_h * value / top
            parts.append(f'<rect class="{css}" x="{x:.1f}" y="{pad_t + inner_h - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}"><title>{escape(label)}: {escape(_short(value))}{escape(unit)}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 12}" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def _short(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() or value >= 10 else f"{value:.1f}"


def _default_period() -> tuple[dt.date, dt.date]:
    today = now().astimezone(zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)).date()
    return today - dt.timedelta(days=29), today


SIMULATION_COLUMNS = [
    ("fill_rate", "Fill rate", "pct"),
    ("filled_within_2h_rate", "Filled within 2 h", "pct"),
    ("median_minutes_to_fill", "Median time to fill", "min"),
    ("p90_minutes_to_fill", "p90 time to fill", "min"),
    ("offers_per_fill", "Offers per fill", "num"),
    ("texts_per_fill", "Texts per fill", "num"),
    ("max_texts_one_number_7_days", "Most texts to one number in 7 days", "int"),
    ("opt_outs", "Opt-outs", "int"),
    ("lost_to_cutoff", "Lost to the cutoff", "int"),
    ("exhausted", "Nobody left", "int"),
]


def simulation_latest() -> dict | None:
    """The last `simulate_fill` run (its latest.json, docs/SIMULATION.md) as a small table, or None
    when there is none or it cannot be read: the page must never fail on a stale or broken file."""
    import json

    from .simulation import LATEST_DIR

    try:
        report = json.loads((LATEST_DIR / "latest.json").read_text())
        world = report.get("world") or {}
        rows = [
            {"label": p.get("label") or p.get("name"),
             "cells": [fmt((p.get("metrics") or {}).get(key), kind) for key, _label, kind in SIMULATION_COLUMNS]}
            for p in report.get("policies") or []
        ]
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return {
        "generated_at": report.get("generated_at"),
        "command": report.get("command", ""),
        "world": ", ".join(f"{fmt(world[k], 'int')} {k.replace('_', ' ')}"
                           for k in ("cancellations", "patients", "phone_numbers", "providers", "locations")
                           if isinstance(world.get(k), int)),
        "columns": [label for _key, label, _kind in SIMULATION_COLUMNS],
        "rows": rows,
    }


def metrics(request):
    if not request.user.has_perm("offers.view_metrics"):
        raise PermissionDenied
    start, end = _default_period()
    form = MetricsForm(request.GET or None, initial={"start": start, "end": end})
    data = None
    if not request.GET or form.is_valid():
        params = form.cleaned_data if form.is_bound else {"start": start, "end": end}
        data = metrics_selector.fill_metrics(
            start=params["start"], end=params["end"] + dt.timedelta(days=1),
            provider=params.get("provider"), location=params.get("location"),
            appointment_type=params.get("appointment_type"),
        )
    context = {
        **_site().each_context(request),
        "title": "Fill metrics",
        "form": form,
        "data": data,
        "simulation": simulation_latest(),
    }
    if data is not None:
        daily = data.get("daily") or []
        target = data.get("fill_rate_target")
        context.update({
            "figures": figures(data),
            "breakdowns": breakdowns(data),
            "target": fmt(target, "pct") if target is not None else None,
            "fills_chart": svg_bar_chart(
                [(f"{d['date']:%b %d}", d.get("filled")) for d in daily], title="Fills per day"),
            "ttf_chart": svg_bar_chart(
                [(f"{d['date']:%b %d}", d.get("median_time_to_fill_minutes")) for d in daily],
                title="Median time to fill per day", unit=" min", css="cb-bar cb-bar-alt"),
            "daily": daily,
        })
    return TemplateResponse(request, "admin/offers/metrics.html", context)


def _site():
    from django.contrib import admin

    return admin.site
