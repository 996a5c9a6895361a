"""Fill metrics: the one selector behind the admin metrics page and the API's `metrics/`.

The population is the slots (cancellations) *logged* in the period, so every figure describes the
same slots whatever happened to them later. A few figures need a definition:

- fill rate: filled / slots that reached an outcome (filled or unfilled). Withdrawn slots (staff took
  the slot back) and slots still open or offering are left out of the denominator; they are counted
  separately. `fill_rate_2h` counts fills within 2 hours of logging (the charter target is 80 %).
- reply rate: offers the patient answered (YES, NO, or any text linked to the offer) / offers that
  could be delivered (undeliverable ones excluded).
- opt-out rate: numbers offered these slots that opted out during the period / numbers offered.
- delivery-failure rate: offer texts that failed (our send failed, or Twilio reported `failed` or
  `undelivered`) / offer texts.
- staff action: a slot needed a human when staff (or the API) paused, resumed, forced a wave, marked
  it filled by phone, withdrew it or one of its offers, or a reply about it was flagged for staff.
  Logging, editing and the EHR ticks are routine and do not count.
- days moved up: for slots won by text, the winner's previous appointment minus the slot's start.
- texts, segments and SMS cost count the texts linked to these slots' offers; the most texts any
  number got in a week counts every outbound text in the period (welcome and replies too), over any
  7-day window, when no filter is given, and the slots' texts when one is.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Sum

from core.models import AuditEvent
from messaging.models import TERMINAL_FAILURES, ConsentEvent, Message

from .models import Cancellation, Offer, OfferMessage

FILL_TARGET = 0.8
FAST_FILL = dt.timedelta(hours=2)
NOTICE_BUCKETS = [
    ("under 4 hours", dt.timedelta(hours=4)),
    ("4-24 hours", dt.timedelta(hours=24)),
    ("1-3 days", dt.timedelta(days=3)),
    ("3-7 days", dt.timedelta(days=7)),
    ("over 7 days", None),
]
# staff actions that are routine bookkeeping, not a slot needing a human
ROUTINE_ACTIONS = {"cancellation.create", "cancellation.update", "cancellation.ehr_booked", "cancellation.ehr_released"}
HUMAN_ACTORS = ("staff", "api")


def _tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)


def _as_datetime(value, tz) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    return dt.datetime.combine(value, dt.time(0), tzinfo=tz)


def _pk(value):
    return getattr(value, "pk", value)


def _ratio(part, whole, digits: int = 4):
    return round(part / whole, digits) if whole else None


def _percentile(values: list[float], q: float):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    value = ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
    return round(value, 1)


def _minutes(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 60


def notice_bucket(notice: dt.timedelta) -> str:
    for label, limit in NOTICE_BUCKETS:
        if limit is None or notice < limit:
            return label
    return NOTICE_BUCKETS[-1][0]


def _max_in_week(times_by_phone: dict[int, list[dt.datetime]]) -> int:
    week = dt.timedelta(days=7)
    best = 0
    for times in times_by_phone.values():
        times.sort()
        lo = 0
        for hi, at in enumerate(times):
            while at - times[lo] >= week:
                lo += 1
            best = max(best, hi - lo + 1)
    return best


def _group_stats(rows: list[dict], offers_by_slot: dict[int, int]) -> dict:
    filled = [r for r in rows if r["status"] == Cancellation.Status.FILLED]
    decided = len(filled) + sum(1 for r in rows if r["status"] == Cancellation.Status.UNFILLED)
    fast = sum(1 for r in filled if r["filled_at"] - r["created_at"] <= FAST_FILL)
    offers = sum(offers_by_slot.get(r["id"], 0) for r in rows)
    return {
        "slots_logged": len(rows),
        "slots_filled": len(filled),
        "fill_rate": _ratio(len(filled), decided),
        "fill_rate_2h": _ratio(fast, decided),
        "median_time_to_fill_minutes": _percentile([_minutes(r["filled_at"] - r["created_at"]) for r in filled], 0.5),
        "offers": offers,
        "offers_per_fill": _ratio(offers, len(filled), 2),
    }


def _breakdown(rows, offers_by_slot, key, label) -> list[dict]:
    groups: dict = defaultdict(list)
    labels = {}
    for r in rows:
        k = key(r)
        groups[k].append(r)
        labels[k] = label(r)
    out = [{"key": k, "label": labels[k], **_group_stats(group, offers_by_slot)} for k, group in groups.items()]
    out.sort(key=lambda row: (-row["slots_logged"], str(row["label"])))
    return out


def fill_metrics(*, start, end, provider=None, location=None, appointment_type=None) -> dict:
    """Every fill figure for slots logged in [start, end), optionally for one provider, location
    or appointment type (instances or ids). `start`/`end` are aware datetimes, or dates taken as
    midnight in the clinic's time zone (`end` exclusive). Returns plain values (numbers, None when a
    ratio has no denominator, dates and datetimes) ready for a template or JSON."""
    tz = _tz()
    start, end = _as_datetime(start, tz), _as_datetime(end, tz)
    slots = Cancellation.objects.filter(created_at__gte=start, created_at__lt=end)
    filtered = any(v is not None for v in (provider, location, appointment_type))
    if provider is not None:
        slots = slots.filter(provider_id=_pk(provider))
    if location is not None:
        slots = slots.filter(location_id=_pk(location))
    if appointment_type is not None:
        slots = slots.filter(appointment_type_id=_pk(appointment_type))
    rows = list(
        slots.order_by("created_at").values(
            "id", "provider_id", "provider__name", "location_id", "location__name", "appointment_type__code",
            "appointment_type__name", "created_at", "start_at", "status", "end_reason", "filled_at",
            "ehr_booked_at", "filled_offer_id",
        )
    )
    slot_ids = {r["id"] for r in rows}
    offers = Offer.objects.filter(cancellation__in=slots)
    offers_by_slot = dict(
        offers.order_by().values_list("cancellation_id").annotate(n=Count("id")).values_list("cancellation_id", "n")
    )
    by_status = defaultdict(int)
    for r in rows:
        by_status[r["status"]] += 1
    filled = [r for r in rows if r["status"] == Cancellation.Status.FILLED]
    n_filled = len(filled)
    decided = n_filled + by_status[Cancellation.Status.UNFILLED]
    fill_minutes = [_minutes(r["filled_at"] - r["created_at"]) for r in filled]

    # offers and replies
    n_offers = sum(offers_by_slot.values())
    deliverable = offers.exclude(status=Offer.Status.UNDELIVERABLE)
    answered = deliverable.filter(
        Q(status__in=[Offer.Status.ACCEPTED, Offer.Status.DECLINED])
        | Exists(OfferMessage.objects.filter(offer=OuterRef("pk"), message__direction=Message.Direction.INBOUND))
    ).count()
    n_deliverable = deliverable.count()

    # texts about these slots
    texts = Message.objects.filter(direction=Message.Direction.OUTBOUND, offer_link__offer__cancellation__in=slots)
    text_totals = texts.aggregate(n=Count("id"), segments=Sum("segments"))
    n_texts, segments = text_totals["n"] or 0, text_totals["segments"] or 0
    failed_texts = texts.filter(
        Q(send_state=Message.SendState.FAILED) | Q(status__in=sorted(TERMINAL_FAILURES))
    ).count()

    # opt-outs among the numbers offered
    phones = offers.order_by().values("phone_id")
    n_numbers = phones.distinct().count()
    opted_out = (
        ConsentEvent.objects.filter(kind=ConsentEvent.Kind.OPT_OUT, at__gte=start, at__lt=end, phone_id__in=phones)
        .order_by().values("phone_id").distinct().count()
    )

    # slots that needed a human
    needed_staff: set[int] = set()
    slot_events = AuditEvent.objects.filter(
        object_type="offers.cancellation", actor_kind__in=HUMAN_ACTORS, at__gte=start
    ).exclude(action__in=ROUTINE_ACTIONS)
    for object_id in slot_events.values_list("object_id", flat=True).distinct():
        if object_id.isdigit() and int(object_id) in slot_ids:
            needed_staff.add(int(object_id))
    offer_ids = [
        int(o) for o in AuditEvent.objects.filter(object_type="offers.offer", actor_kind__in=HUMAN_ACTORS, at__gte=start)
        .values_list("object_id", flat=True).distinct() if o.isdigit()
    ]
    if offer_ids:
        needed_staff.update(offers.filter(pk__in=offer_ids).values_list("cancellation_id", flat=True))
    needed_staff.update(
        Message.objects.filter(offer_link__offer__cancellation__in=slots).exclude(needs_attention="")
        .values_list("offer_link__offer__cancellation_id", flat=True)
    )

    # how far winners moved up, and how fast the EHR followed
    moved_up_days = [
        (previous - slot_start).total_seconds() / 86400
        for slot_start, previous in Offer.objects.filter(
            pk__in=[r["filled_offer_id"] for r in filled if r["filled_offer_id"]],
            entry__current_appointment_at__isnull=False,
        ).values_list("cancellation__start_at", "entry__current_appointment_at")
    ]
    ehr_minutes = [_minutes(r["ehr_booked_at"] - r["filled_at"]) for r in filled if r["ehr_booked_at"]]

    # the most texts any number got in a week
    weekly = Message.objects.filter(direction=Message.Direction.OUTBOUND, created_at__gte=start, created_at__lt=end)
    if filtered:
        weekly = weekly.filter(offer_link__offer__cancellation__in=slots)
    times_by_phone: dict[int, list[dt.datetime]] = defaultdict(list)
    for phone_id, at in weekly.order_by().values_list("phone_id", "created_at").iterator(chunk_size=5000):
        times_by_phone[phone_id].append(at)

    # per day, in the clinic's time zone
    days = []
    day = start.astimezone(tz).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    logged_on = defaultdict(int)
    fills_on: dict[dt.date, list[float]] = defaultdict(list)
    for r in rows:
        logged_on[r["created_at"].astimezone(tz).date()] += 1
    for r in filled:
        fills_on[r["filled_at"].astimezone(tz).date()].append(_minutes(r["filled_at"] - r["created_at"]))
    while day <= last:
        days.append({
            "date": day,
            "logged": logged_on.get(day, 0),
            "filled": len(fills_on.get(day, [])),
            "median_time_to_fill_minutes": _percentile(fills_on.get(day, []), 0.5),
        })
        day += dt.timedelta(days=1)

    price = float(settings.SMS_SEGMENT_PRICE)
    cost = round(segments * price, 4)
    return {
        "period": {"start": start, "end": end, "time_zone": str(tz)},
        "filters": {
            "provider": _pk(provider), "location": _pk(location),
            "appointment_type": getattr(appointment_type, "code", appointment_type),
        },
        "slots_logged": len(rows),
        "slots_filled": n_filled,
        "filled_by_sms": sum(1 for r in filled if r["end_reason"] == Cancellation.EndReason.ACCEPTED),
        "filled_by_phone": sum(1 for r in filled if r["end_reason"] == Cancellation.EndReason.BY_PHONE),
        "slots_unfilled": by_status[Cancellation.Status.UNFILLED],
        "slots_withdrawn": by_status[Cancellation.Status.WITHDRAWN],
        "slots_in_progress": by_status[Cancellation.Status.OPEN] + by_status[Cancellation.Status.OFFERING],
        "fill_rate": _ratio(n_filled, decided),
        "fill_rate_2h": _ratio(sum(1 for m in fill_minutes if m <= _minutes(FAST_FILL)), decided),
        "fill_rate_target": FILL_TARGET,
        "time_to_fill_minutes": {"median": _percentile(fill_minutes, 0.5), "p90": _percentile(fill_minutes, 0.9)},
        "offers": n_offers,
        "offers_per_fill": _ratio(n_offers, n_filled, 2),
        "texts": n_texts,
        "texts_per_fill": _ratio(n_texts, n_filled, 2),
        "sms_segments": segments,
        "reply_rate": _ratio(answered, n_deliverable),
        "opt_out_rate": _ratio(opted_out, n_numbers),
        "opt_outs": opted_out,
        "delivery_failure_rate": _ratio(failed_texts, n_texts),
        "staff_action_share": _ratio(len(needed_staff), len(rows)),
        "median_days_moved_up": _percentile(moved_up_days, 0.5),
        "yes_to_ehr_booked_minutes": {"median": _percentile(ehr_minutes, 0.5), "p90": _percentile(ehr_minutes, 0.9)},
        "max_texts_per_number_week": _max_in_week(times_by_phone),
        "sms_segment_price": price,
        "sms_cost": round(cost, 2),
        "sms_cost_per_fill": _ratio(cost, n_filled, 4),
        "visit_value": float(settings.VISIT_VALUE),
        "estimated_revenue": round(n_filled * float(settings.VISIT_VALUE), 2),
        "daily": days,
        "by_provider": _breakdown(rows, offers_by_slot, lambda r: r["provider_id"], lambda r: r["provider__name"]),
        "by_location": _breakdown(rows, offers_by_slot, lambda r: r["location_id"], lambda r: r["location__name"]),
        "by_appointment_type": _breakdown(rows, offers_by_slot, lambda r: r["appointment_type__code"],
                                          lambda r: r["appointment_type__name"]),
        "by_notice": sorted(
            _breakdown(rows, offers_by_slot, lambda r: notice_bucket(r["start_at"] - r["created_at"]),
                       lambda r: notice_bucket(r["start_at"] - r["created_at"])),
            key=lambda row: [label for label, _ in NOTICE_BUCKETS].index(row["key"]),
        ),
    }
