"""Reads of the offer engine. Eligibility is one query over indexed columns: no Python-side
filtering of the waitlist."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Exists, F, IntegerField, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual

from core.prepared import Prepared, Values
from messaging.models import PhoneNumber
from waitlist.models import KIND_BITS, Patient, WaitlistEntry
from waitlist.selectors import location_cutoff_minutes, provider_takes

from .models import Cancellation, Offer, OfferMessage


def cancellation_deadline(cancellation: Cancellation) -> dt.datetime:
    """No offer runs past this instant."""
    return cancellation.start_at - dt.timedelta(minutes=location_cutoff_minutes(cancellation.location))


# the offer caps count a number's offers sent in the last day and the last week
DAY, WEEK = dt.timedelta(days=1), dt.timedelta(days=7)


def caps_rule() -> str:
    """The caps in force, stored beside each entry's `offer_capped_until`: a bound written under
    other caps (the settings changed since) is ignored instead of trusted."""
    return f"{settings.OFFER_CAP_PER_DAY}/{settings.OFFER_CAP_PER_WEEK}"


def caps_bound(sent: list[dt.datetime]) -> dt.datetime | None:
    """Given a number's offers sent in the last week (any order), the instant until which a cap keeps
    it out: the caps count offers with `sent_at >= at - window`, so with the newest first the number
    is capped while `at <= sent[cap - 1] + window`. None when no cap is reached."""
    newest = sorted(sent, reverse=True)
    bounds = [
        newest[cap - 1] + window
        for cap, window in ((settings.OFFER_CAP_PER_DAY, DAY), (settings.OFFER_CAP_PER_WEEK, WEEK))
        if 0 < cap <= len(newest)
    ]
    return max(bounds) if bounds else None


def _offer_count(at_least: dt.datetime, phone=None):
    """A number's offers sent since `at_least`; the number is the entry's (joined) by default."""
    return Coalesce(
        Subquery(
            Offer.objects.filter(phone_id=phone if phone is not None else OuterRef("patient__phone_id"),
                                 sent_at__gte=at_least)
            .order_by()
            .values("phone_id")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _eligibility_values(cancellation: Cancellation, at: dt.datetime) -> dict:
    """The values the eligibility query is built from (the query's shape depends on none of them)."""
    c = cancellation
    tz = c.location.tz
    local_start = c.start_at.astimezone(tz)
    return {
        "cancellation_id": c.pk,
        "type_id": c.appointment_type_id,
        "provider_id": c.provider_id,
        "location_id": c.location_id,
        "at": at,
        "caps_rule": caps_rule(),
        "today_local": at.astimezone(tz).date(),
        "duration": c.duration_minutes,
        "start_at": c.start_at,
        # an IntegerField lookup takes a whole number (the ORM would truncate a float itself)
        "notice_hours": int((c.start_at - at).total_seconds() / 3600),
        "slot_time": local_start.time().replace(tzinfo=None),
        "kind_bit": KIND_BITS.get(c.provider.kind, 0),
        "weekday_bit": 1 << local_start.weekday(),
        "cooldown_from": at - dt.timedelta(minutes=settings.OFFER_COOLDOWN_MINUTES),
        "day_from": at - DAY,
        "week_from": at - WEEK,
        "cap_day": settings.OFFER_CAP_PER_DAY,
        "cap_week": settings.OFFER_CAP_PER_WEEK,
    }


def _eligible(p, *, busy_ok: bool):
    """The eligibility query, from values or placeholders (`p`, core/prepared.py): one definition
    for the prepared statement `pick_wave` runs and the queryset `eligible_entries` returns."""
    # Built with as few queryset steps as possible: every .filter()/.annotate() clones the whole
    # query, and on the engine's hot path building this query cost as much as running it.
    conditions = [
        Q(active=True, appointment_type_id=p.type_id),
        # a column of the entry row, so a capped number is passed over before any join or count
        # (late in a busy day most of the best-ranked entries are capped)
        Q(offer_capped_until__isnull=True) | Q(offer_capped_until__lt=p.at) | ~Q(offer_caps_rule=p.caps_rule),
        Q(ready_from__isnull=True) | Q(ready_from__lte=p.today_local),
        Q(visit_minutes__isnull=True) | Q(visit_minutes__lte=p.duration),
        Q(
            patient__phone__consent_at__isnull=False,
            patient__phone__opted_out=False,
            patient__phone__cannot_receive=False,
        ),
        Q(current_appointment_at__isnull=True) | Q(current_appointment_at__gt=p.start_at),
        Q(min_notice_hours__lte=p.notice_hours),
        Q(earliest_time__isnull=True) | Q(earliest_time__lte=p.slot_time),
        Q(latest_time__isnull=True) | Q(latest_time__gte=p.slot_time),
        Q(provider_kinds_mask=0) | Q(kind_ok__gt=0),
        Q(weekdays_mask=0) | Q(day_ok__gt=0),
        Q(has_provider_prefs=False) | Q(prefers_provider__isnull=False),
        Q(has_location_prefs=False) | Q(prefers_location__isnull=False),
        ~Q(Exists(Offer.objects.filter(cancellation_id=p.cancellation_id, patient_id=OuterRef("patient_id")))),
    ]
    if not busy_ok:
        # one pending offer per number, and a cooldown after the last one ended
        conditions.append(
            ~Q(Exists(
                Offer.objects.filter(phone_id=OuterRef("patient__phone_id")).filter(
                    Q(status=Offer.Status.PENDING) | Q(ended_at__gt=p.cooldown_from)
                )
            ))
        )
    return (
        WaitlistEntry.objects.annotate(
            kind_ok=F("provider_kinds_mask").bitand(p("kind_bit", IntegerField())),
            day_ok=F("weekdays_mask").bitand(p("weekday_bit", IntegerField())),
        )
        # Preferred providers/locations as scalar subqueries, not EXISTS: PostgreSQL turns an EXISTS
        # inside an OR into a hashed subplan that reads every entry preferring this provider (linear
        # in the waitlist); a scalar subquery is one unique-index probe per candidate row.
        .alias(
            prefers_provider=Subquery(
                WaitlistEntry.providers.through.objects.filter(
                    waitlistentry_id=OuterRef("pk"), provider_id=p.provider_id
                ).values("pk")[:1]
            ),
            prefers_location=Subquery(
                WaitlistEntry.locations.through.objects.filter(
                    waitlistentry_id=OuterRef("pk"), location_id=p.location_id
                ).values("pk")[:1]
            ),
            offers_day=_offer_count(p.day_from),
        )
        .annotate(offers_week=_offer_count(p.week_from))
        .filter(*conditions, offers_day__lt=p.cap_day, offers_week__lt=p.cap_week)
        .select_related("patient", "patient__phone")
        .order_by("-priority", "offers_week", "joined_at", "pk")
    )


def _slot_bookable(cancellation: Cancellation) -> bool:
    provider = cancellation.provider
    return provider.active and provider_takes(provider_id=provider.pk, type_id=cancellation.appointment_type_id)


def eligible_entries(*, cancellation: Cancellation, at: dt.datetime, busy_ok: bool = False):
    """Entries that may be offered this slot now, best first (a queryset: slice it). `busy_ok` lets
    through numbers kept out only for now (a pending offer elsewhere, the cooldown)."""
    if not _slot_bookable(cancellation):
        return WaitlistEntry.objects.none()
    return _eligible(Values(_eligibility_values(cancellation, at)), busy_ok=busy_ok)


# pick_wave's reads: the query above, compiled once per wave size (core/prepared.py)
_WAVE = {}


def _wave_query(rows: int) -> Prepared:
    if rows not in _WAVE:
        _WAVE[rows] = Prepared(lambda p: _eligible(p, busy_ok=False)[:rows])
    return _WAVE[rows]


def busy_until(*, cancellation: Cancellation, at: dt.datetime) -> dt.datetime | None:
    """Nobody is eligible now, but some entries are kept out only for now: when the first of them may
    be free (its pending offer's hold ends, or its cooldown does). None when nobody is merely busy.
    With the default caps (1 a day) a busy number is also capped, so this is usually None."""
    cooldown = dt.timedelta(minutes=settings.OFFER_COOLDOWN_MINUTES)
    if settings.OFFER_CAP_PER_DAY <= 1:
        # An entry that passes a cap of one a day has had no offer in the last day, so only an
        # offer sent before that can make it busy. Usually there is none, and then the answer is
        # known without walking the list (most slots that end "nobody left" ask this).
        older = Offer.objects.filter(sent_at__lt=at - DAY)
        if not (older.filter(status=Offer.Status.PENDING).exists() or older.filter(ended_at__gt=at - cooldown).exists()):
            return None
    phones = eligible_entries(cancellation=cancellation, at=at, busy_ok=True).order_by().values("patient__phone_id")
    grace = dt.timedelta(seconds=settings.OFFER_EXPIRY_GRACE_SECONDS)
    busy = Offer.objects.filter(phone_id__in=phones).aggregate(
        hold_ends=Min("expires_at", filter=Q(status=Offer.Status.PENDING)),
        rest_ends=Min("ended_at", filter=Q(ended_at__gt=at - cooldown)),
    )
    candidates = []
    if busy["hold_ends"] is not None:
        candidates.append(max(at, busy["hold_ends"] + grace))
    if busy["rest_ends"] is not None:
        candidates.append(busy["rest_ends"] + cooldown)
    return min(candidates) if candidates else None


def pick_wave(*, cancellation: Cancellation, at: dt.datetime, size: int) -> list[WaitlistEntry]:
    """The next wave: best entries, at most one per number and per patient (a family number is
    offered once)."""
    if not _slot_bookable(cancellation):
        return []
    values = _eligibility_values(cancellation, at)
    # The database walks the list in rank order until it has as many eligible rows as asked for,
    # and late in a busy day most of the best-ranked are capped: asking for just the wave's size
    # walks a fraction of the rows. Only when a number or patient came up twice (a family number)
    # is the wider read needed; both reads take the same rows in the same order.
    first = _wave_query(size).all(**values)
    picked = _one_per_number(first, size)
    if len(picked) < size and len(first) == size:
        picked = _one_per_number(_wave_query(size * 4).all(**values), size)
    return picked


def _one_per_number(rows, size: int) -> list[WaitlistEntry]:
    picked: list[WaitlistEntry] = []
    phones: set[int] = set()
    patients: set[int] = set()
    for entry in rows:
        if entry.patient.phone_id in phones or entry.patient_id in patients:
            continue
        phones.add(entry.patient.phone_id)
        patients.add(entry.patient_id)
        picked.append(entry)
        if len(picked) == size:
            break
    return picked


def exclusion_summary(*, cancellation: Cancellation, at: dt.datetime) -> dict[str, int]:
    """For an unfilled slot: how many active entries of this type each rule excluded (staff see
    which preference excluded the most). One pass over the type's active entries with a conditional
    count per rule: eleven separate counts cost about half a second per unfilled slot on a
    20,000-entry list, and a busy day ends hundreds of slots this way."""
    row = _SUMMARY.first(**_summary_values(cancellation, at))
    summary = {name: row[f"rule{i}"] if row else 0 for i, name in enumerate(EXCLUSION_RULES)}
    # the two rules that keep numbers out only for a while are listed when they kept someone out
    for name in TEMPORARY_RULES:
        if not summary[name]:
            del summary[name]
    return summary


def _summary_values(c: Cancellation, at: dt.datetime) -> dict:
    tz = c.location.tz
    local_start = c.start_at.astimezone(tz)
    return dict(
        type_id=c.appointment_type_id,
        cancellation_id=c.pk,
        provider_id=c.provider_id,
        location_id=c.location_id,
        today_local=at.astimezone(tz).date(),
        duration=c.duration_minutes,
        start_at=c.start_at,
        # what the ORM makes of the float an integer column is compared with (it truncates)
        notice_hours=int((c.start_at - at).total_seconds() / 3600),
        slot_time=local_start.time().replace(tzinfo=None),
        weekday_bit=1 << local_start.weekday(),
        kind_bit=KIND_BITS.get(c.provider.kind, 0),
        at=at,
        caps_rule=caps_rule(),
        day_from=at - DAY,
        week_from=at - WEEK,
        cap_day=settings.OFFER_CAP_PER_DAY,
        cap_week=settings.OFFER_CAP_PER_WEEK,
        cooldown_from=at - dt.timedelta(minutes=settings.OFFER_COOLDOWN_MINUTES),
    )


def _exclusion_rules(p) -> dict[str, Q]:
    """The summary's rules, each the condition of an entry it keeps out (`day_bit` and `kind_bit`
    are the summary's aliases), in the order of `EXCLUSION_RULES`; values or placeholders `p`."""
    return {
        "not ready yet": Q(ready_from__gt=p.today_local),
        "visit longer than slot": Q(visit_minutes__gt=p.duration),
        # through the index of the numbers that cannot be texted (messaging.PhoneNumber), not a
        # read of every number
        "no consent / opted out / cannot text": Q(patient_id__in=_patients_on(PhoneNumber.objects.filter(
            Q(consent_at__isnull=True) | Q(opted_out=True) | Q(cannot_receive=True)
        ))),
        "current appointment is sooner": Q(current_appointment_at__lte=p.start_at),
        "needs more notice": Q(min_notice_hours__gt=p.notice_hours),
        "time of day": Q(earliest_time__gt=p.slot_time) | Q(latest_time__lt=p.slot_time),
        "weekday": ~Q(weekdays_mask=0) & Q(day_bit=0),
        "provider kind": ~Q(provider_kinds_mask=0) & Q(kind_bit=0),
        # Sets read once (IN a subquery), not a subquery per entry: the summary reads every active
        # entry of the type, and an unfilled slot asks for it each time (docs/SIMULATION.md)
        "provider preference": Q(has_provider_prefs=True) & ~Q(pk__in=WaitlistEntry.providers.through.objects.filter(
            provider_id=p.provider_id
        ).values("waitlistentry_id")),
        "location preference": Q(has_location_prefs=True) & ~Q(pk__in=WaitlistEntry.locations.through.objects.filter(
            location_id=p.location_id
        ).values("waitlistentry_id")),
        "already offered this slot": Q(patient_id__in=Offer.objects.filter(cancellation_id=p.cancellation_id)
                                       .values("patient_id")),
        # the caps and the rest after an offer keep a number out for a while (`eligible_entries`): a
        # slot everyone was capped for ended with no reason shown. The stored bound first: it is
        # never too high, so an entry it marks capped is capped without counting its offers
        "offer cap reached": (
            Q(offer_capped_until__gte=p.at, offer_caps_rule=p.caps_rule)
            | Q(GreaterThanOrEqual(_offer_count(p.day_from, phone=_phone_of_entry()), p.cap_day))
            | Q(GreaterThanOrEqual(_offer_count(p.week_from, phone=_phone_of_entry()), p.cap_week))
        ),
        # two sets, each read through its own index (an OR of the two read every offer)
        "pending offer or cooldown": (
            Q(patient_id__in=_patients_on(Offer.objects.filter(status=Offer.Status.PENDING), "phone_id"))
            | Q(patient_id__in=_patients_on(Offer.objects.filter(ended_at__gt=p.cooldown_from), "phone_id"))
        ),
    }


EXCLUSION_RULES = (
    "not ready yet", "visit longer than slot", "no consent / opted out / cannot text", "current appointment is sooner",
    "needs more notice", "time of day", "weekday", "provider kind", "provider preference", "location preference",
    "already offered this slot", "offer cap reached", "pending offer or cooldown",
)
TEMPORARY_RULES = ("offer cap reached", "pending offer or cooldown")


def _summary(p):
    # One row of counts, grouped by the type (the filter leaves one group): an aggregate() is not a
    # queryset, and only a queryset can be prepared. Every entry column it reads is in
    # `entry_selection_idx` (waitlist.models), so SQLite counts from that index alone.
    return (
        WaitlistEntry.objects.filter(active=True, appointment_type_id=p.type_id)
        .alias(
            day_bit=F("weekdays_mask").bitand(p("weekday_bit", IntegerField())),
            kind_bit=F("provider_kinds_mask").bitand(p("kind_bit", IntegerField())),
        )
        .order_by()
        .values("appointment_type_id")
        .annotate(**{f"rule{i}": Count("pk", filter=q) for i, q in enumerate(_exclusion_rules(p).values())})
        .values(*(f"rule{i}" for i in range(len(EXCLUSION_RULES))))
    )


_SUMMARY = Prepared(_summary)


def _patients_on(numbers, column: str = "pk"):
    """The patients on these numbers, as a set the summary reads once: a rule on the entry's
    patient or number joined both tables for every entry of the type."""
    return Patient.objects.filter(phone_id__in=numbers.values(column)).values("pk")


def _phone_of_entry():
    # the entry's number as a subquery of its own, run only for the entries the stored caps bound
    # let through (the rule's first test), instead of a join for every entry
    return Subquery(Patient.objects.filter(pk=OuterRef(OuterRef("patient_id"))).values("phone_id")[:1])


def offer_for_reply(*, phone_id: int, received_at: dt.datetime) -> Offer | None:
    """The offer a text from this number answers: the pending one, else the most recent one. Only
    offers made before the text arrived count: a YES stored during an outage and read after a later
    wave offered the number again answers the offer the patient had seen, not the new one."""
    return _PENDING_FOR_REPLY.first(phone_id=phone_id, received_at=received_at) or _LATEST_FOR_REPLY.first(
        phone_id=phone_id, received_at=received_at
    )


# every reply runs these, and the timer the two below between its ticks (core/prepared.py)
_PENDING_FOR_REPLY = Prepared(
    lambda p: Offer.objects.filter(phone_id=p.phone_id, sent_at__lte=p.received_at, status=Offer.Status.PENDING)
    .order_by()[:1]
)
_LATEST_FOR_REPLY = Prepared(
    lambda p: Offer.objects.filter(phone_id=p.phone_id, sent_at__lte=p.received_at).order_by("-sent_at", "-pk")[:1]
)
# MIN() as the first of an index-ordered read: one row either way, and a prepared statement
_NEXT_HOLD_END = Prepared(
    lambda p: Offer.objects.filter(status=Offer.Status.PENDING).order_by("expires_at").values_list(
        "expires_at", flat=True
    )[:1]
)
_NEXT_WAVE = Prepared(
    lambda p: Cancellation.objects.filter(status__in=Cancellation.ACTIVE, paused=False, next_wave_at__isnull=False)
    .order_by("next_wave_at").values_list("next_wave_at", flat=True)[:1]
)


# the texts that tell a patient how their offer ended
OUTCOME_TEXTS = ("confirmed", "taken", "expired", "no_longer_available", "declined_ack")


def offer_outcome_told(*, offer_id: int) -> bool:
    """Whether the patient was already texted how this offer ended."""
    return OfferMessage.objects.filter(offer_id=offer_id, role__in=OUTCOME_TEXTS).exists()


def timer_next_due() -> dt.datetime | None:
    """The next instant the timer has work: a hold ending (plus the expiry grace) or a wave falling
    due. Two one-row index reads; the timer sleeps until then when it is sooner than its next tick."""
    grace = dt.timedelta(seconds=settings.OFFER_EXPIRY_GRACE_SECONDS)
    hold = _NEXT_HOLD_END.first()
    wave = _NEXT_WAVE.first()
    candidates = [t for t in (hold + grace if hold else None, wave) if t is not None]
    return min(candidates) if candidates else None
