"""Writes of the waitlist: locations, providers, patients, entries and their stored priority."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from clinicbot.clock import now
from clinicbot.sending_window import default_window
from core.actors import Actor
from core.prepared import Prepared
from core.services import audit_record, snapshot, snapshot_m2m
from messaging import services as messaging
from messaging.models import PhoneNumber

from . import priority
from .models import KIND_BITS, Location, Patient, Provider, WaitlistEntry

ENTRY_M2M = ("providers", "locations")
ENTRY_FIELDS = {
    "appointment_type", "visit_minutes", "urgent", "manual_boost", "boost_reason", "current_appointment_at",
    "current_appointment_provider", "current_appointment_location", "joined_at", "ready_from",
    "provider_kinds_mask", "weekdays_mask", "earliest_time", "latest_time", "min_notice_hours", "notes",
    "external_id",
}


def kinds_to_mask(kinds) -> int:
    mask = 0
    for kind in kinds or ():
        if kind not in KIND_BITS:
            raise ValidationError({"provider_kinds": f"Unknown provider kind {kind!r}."})
        mask |= KIND_BITS[kind]
    return mask


def mask_to_kinds(mask: int) -> list[str]:
    return [k for k, bit in KIND_BITS.items() if mask & bit]


def weekdays_to_mask(days) -> int:
    mask = 0
    for day in days or ():
        if not isinstance(day, int) or not 0 <= day <= 6:
            raise ValidationError({"weekdays": f"Weekdays are 0 (Monday) to 6 (Sunday), not {day!r}."})
        mask |= 1 << day
    return mask


def mask_to_weekdays(mask: int) -> list[int]:
    return [d for d in range(7) if mask & (1 << d)]


def _refresh_priority_fields(entry: WaitlistEntry, today: dt.date) -> None:
    score, breakdown = priority.compute(
        urgent=entry.urgent,
        manual_boost=entry.manual_boost,
        current_appointment_at=entry.current_appointment_at,
        joined_at=entry.joined_at,
        today=today,
    )
    entry.priority, entry.priority_breakdown, entry.priority_on = score, breakdown, today


def _today() -> dt.date:
    return now().astimezone(default_window().tz).date()


# --- patients ----------------------------------------------------------------------------------------


@transaction.atomic
def patient_upsert(
    *,
    actor: Actor,
    first_name: str,
    last_name: str,
    phone: str,
    relationship: str = Patient.Relationship.SELF,
    language: str = Patient.Language.EN,
    consent_source: str = "",
    consent_at: dt.datetime | None = None,
    external_id: str | None = None,
    patient: Patient | None = None,
    consent_event_source: str | None = None,
    replace_external_id: bool = False,
) -> tuple[Patient, bool]:
    """Create a patient, or update the one with this external id (or the one given).

    `replace_external_id`: the caller edits the given patient's record (the console), so
    `external_id` is its new value and None clears it; otherwise an absent id keeps the stored one
    (an EHR push without it).

    `consent_event_source`: where the consent came from ("import", "staff"); by default the
    actor's kind says. An import run by staff passes "import": the consent is the EHR's, so it
    must not clear a wrong-number report as a staff member's own consent would."""
    number = messaging.phone_get_or_create(raw=phone)
    if patient is None and external_id:
        patient = Patient.objects.filter(external_id=external_id).first()
    created = patient is None
    before = None if created else snapshot(patient)
    if created:
        patient = Patient(external_id=external_id or None)
    elif external_id or replace_external_id:
        patient.external_id = external_id or None
    patient.first_name, patient.last_name = first_name.strip(), last_name.strip()
    new_number = not created and patient.phone_id != number.pk
    patient.phone = number
    patient.relationship, patient.language = relationship, language
    patient.full_clean()
    patient.save()
    if new_number:
        # The offer-caps bound on the entries was the old number's. Cleared after the patient row
        # is written (and locked): a wave noting its numbers' caps reads their patients locked
        # (offers.services._caps_note), so it cannot write the old number's bound back.
        WaitlistEntry.objects.filter(patient=patient).update(offer_capped_until=None, offer_caps_rule="")
    audit_record(actor=actor, action="patient.create" if created else "patient.update", obj=patient,
                 before=before, after=snapshot(patient))
    if consent_source and number.consent_at is None:
        # an import never lifts an opt-out: only staff, deliberately, re-subscribe a number
        if consent_event_source is None:
            consent_event_source = "import" if actor.kind == Actor.API else "staff"
        messaging.consent_record(
            phone=number, source=consent_source, actor=actor, at=consent_at, event_source=consent_event_source,
        )
    if (consent_source or new_number) and patient.entries.filter(active=True).exists():
        # consent (or a new number) arrived after the entry: the welcome waited for it
        _welcome_if_due(phone=number, patient=patient)
    return patient, created


# --- entries ------------------------------------------------------------------------------------------


@transaction.atomic
def entry_save(
    *,
    actor: Actor,
    patient: Patient,
    entry: WaitlistEntry | None = None,
    providers: list[Provider] | None = None,
    locations: list[Location] | None = None,
    **fields,
) -> tuple[WaitlistEntry, bool]:
    """Create or change a waitlist entry; refreshes its stored priority. Sends the welcome text when
    this is the first entry for the number."""
    unknown = set(fields) - ENTRY_FIELDS
    if unknown:
        raise TypeError(f"unknown entry fields: {sorted(unknown)}")
    created = entry is None
    before = None
    caps_cleared = False
    if created:
        entry = WaitlistEntry(patient=patient, joined_at=fields.pop("joined_at", None) or now())
    else:
        # The caller's copy was read before this transaction (a form, an API lookup, an import row):
        # the engine may have filled, capped or counted the entry since. Re-read it (locked where
        # the database can) and write back only what the caller changes, so an accepted offer's
        # `active=False`, a silence count or a caps bound is never undone by a stale copy.
        entry = WaitlistEntry.objects.select_for_update(of=("self",)).select_related("patient").get(pk=entry.pk)
        # with the preferred providers and locations: a change of those alone is a change too
        before = {**snapshot(entry), **snapshot_m2m(entry)}
        if patient.pk != entry.patient_id and patient.phone_id != entry.patient.phone_id:
            # the caps bound was the old number's (as when a patient's number changes)
            entry.offer_capped_until, entry.offer_caps_rule = None, ""
            caps_cleared = True
        entry.patient = patient
    fields = {k: v for k, v in fields.items() if not (k == "joined_at" and v is None)}
    for key, value in fields.items():
        setattr(entry, key, value)
    if providers is not None:
        entry.has_provider_prefs = bool(providers)
    if locations is not None:
        entry.has_location_prefs = bool(locations)
    _refresh_priority_fields(entry, _today())
    entry.last_activity_at = now()
    entry.full_clean(exclude=["patient", "appointment_type"] if created else None)
    if created:
        entry.save()
    else:
        entry.save(update_fields=[
            *fields, "patient", "priority", "priority_breakdown", "priority_on", "last_activity_at",
            *(["has_provider_prefs"] if providers is not None else []),
            *(["has_location_prefs"] if locations is not None else []),
            *(["offer_capped_until", "offer_caps_rule"] if caps_cleared else []),
        ])
    if providers is not None:
        entry.providers.set(providers)
    if locations is not None:
        entry.locations.set(locations)
    audit_record(actor=actor, action="entry.create" if created else "entry.update", obj=entry,
                 before=before, after={**snapshot(entry), **snapshot_m2m(entry)})
    if created:
        _welcome_if_due(phone=entry.patient.phone, patient=entry.patient)
    return entry, created


def _welcome_if_due(*, phone: PhoneNumber, patient: Patient) -> None:
    """The welcome (what to expect, how to stop) is a number's first text from the waitlist: sent once,
    as soon as the number has both an entry and consent, in whichever order they came. It used to be
    spent on an entry made before consent, and the number's first text was then an offer, which says
    nothing of STOP or HELP."""
    n = PhoneNumber.objects.filter(
        pk=phone.pk, welcomed_at__isnull=True, consent_at__isnull=False, opted_out=False, cannot_receive=False
    ).update(welcomed_at=now())
    if n != 1:
        return
    window = default_window()
    messaging.message_enqueue(
        phone=phone, template="welcome", language=patient.language, patient=patient,
        not_before=window.next_open(now()), respects_window=True,
    )


def _change(entry_id: int, actor: Actor, action: str, note: str = "", **values) -> WaitlistEntry:
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
        before = snapshot(entry)
        for key, value in values.items():
            setattr(entry, key, value)
        _refresh_priority_fields(entry, _today())
        entry.last_activity_at = now()
        entry.full_clean(exclude=["patient", "appointment_type"])
        entry.save()
        audit_record(actor=actor, action=action, obj=entry, before=before, after=snapshot(entry), note=note)
        return entry


def entry_boost(*, entry_id: int, amount: int, reason: str, actor: Actor) -> WaitlistEntry:
    if not isinstance(amount, int) or not 0 <= amount <= 40:
        raise ValidationError({"amount": "A boost is a whole number from 0 to 40."})
    if amount and not (reason or "").strip():
        raise ValidationError({"reason": "Say why this patient is boosted."})
    return _change(entry_id, actor, "entry.boost", note=reason, manual_boost=amount, boost_reason=reason.strip())


def entry_mark_urgent(*, entry_id: int, urgent: bool = True, actor: Actor) -> WaitlistEntry:
    return _change(entry_id, actor, "entry.urgent", urgent=urgent)


def entry_deactivate(*, entry_id: int, reason: str, actor: Actor, note: str = "") -> bool:
    """Conditional: False when the entry was already inactive."""
    with transaction.atomic():
        n = _DEACTIVATE.update(entry_id=entry_id, reason=reason, at=now())
        if n == 1:
            audit_record(actor=actor, action=f"entry.deactivate.{reason}", object_type="waitlist.waitlistentry",
                         object_id=entry_id, before={"active": True}, after={"active": False, "inactive_reason": reason},
                         note=note)
        return n == 1


# every booking and every reply runs these (core/prepared.py)
_DEACTIVATE = Prepared(lambda p: (
    WaitlistEntry.objects.filter(pk=p.entry_id, active=True),
    {"active": False, "inactive_reason": p.reason, "inactive_at": p.at},
), kind="update")
_ACTIVE_ANSWERED = Prepared(lambda p: (
    WaitlistEntry.objects.filter(pk=p.entry_id, active=True), {"consecutive_no_reply": 0, "last_activity_at": p.at}
), kind="update")


def entry_reactivate(*, entry_id: int, actor: Actor) -> bool:
    return _reactivate(
        WaitlistEntry.objects.filter(pk=entry_id, active=False).exclude(
            inactive_reason=WaitlistEntry.InactiveReason.FULFILLED
        ),
        entry_id=entry_id, actor=actor,
    )


def entry_replied(*, entry_id: int, actor: Actor) -> bool:
    """The patient answered an offer, in any way and at any time: the count of silences starts
    again, and an entry the engine took off the list for silence comes back (whoever answers is not
    unresponsive, and every reply to an offer tells them they stay on the waitlist). An entry staff,
    an import or a booking ended stays ended. Returns whether the entry came back."""
    at = now()
    # no savepoint: every caller is already in a transaction, and this runs on every reply
    with transaction.atomic(savepoint=False):
        if _ACTIVE_ANSWERED.update(entry_id=entry_id, at=at):
            return False
        back = _reactivate(
            WaitlistEntry.objects.filter(
                pk=entry_id, active=False, inactive_reason=WaitlistEntry.InactiveReason.UNRESPONSIVE
            ),
            entry_id=entry_id, actor=actor, note="answered an offer",
        )
        if not back:
            WaitlistEntry.objects.filter(pk=entry_id).update(consecutive_no_reply=0, last_activity_at=at)
        return back


def _reactivate(entries, *, entry_id: int, actor: Actor, note: str = "") -> bool:
    with transaction.atomic(savepoint=False):
        n = entries.update(active=True, inactive_reason="", inactive_at=None, consecutive_no_reply=0,
                           last_activity_at=now())
        if n == 1:
            # the daily refresh skips inactive entries: bring the stored score up to today now
            entry = WaitlistEntry.objects.get(pk=entry_id)
            _refresh_priority_fields(entry, _today())
            entry.save(update_fields=["priority", "priority_breakdown", "priority_on"])
            audit_record(actor=actor, action="entry.reactivate", object_type="waitlist.waitlistentry",
                         object_id=entry_id, before={"active": False}, after={"active": True}, note=note)
        return n == 1


def priorities_refresh(*, today: dt.date | None = None, batch: int = 2000) -> int:
    """Daily: the time-based parts of the score move by the day. Returns how many entries changed.

    Walks the active entries in primary-key order and writes only those whose points changed, each
    with a conditional UPDATE on the inputs it read: a staff change (urgent, boost, appointment)
    made meanwhile is never overwritten with a stale score. Cheap to run twice."""
    today = today or _today()
    changed, after = 0, 0
    while after is not None:
        n, after = priorities_refresh_chunk(today=today, after=after, rows=batch, batch=batch)
        changed += n
    return changed


def priorities_refresh_chunk(
    *, today: dt.date, after: int = 0, rows: int = 20000, batch: int = 2000
) -> tuple[int, int | None]:
    """One bounded piece of the daily refresh: active entries with a primary key above `after`, at
    most `rows` of them. Returns (entries changed, where the next piece starts or None when done),
    so a worker can walk a million entries in steps that each finish well inside its task timeout."""
    changed = 0
    fields = ("id", "urgent", "manual_boost", "current_appointment_at", "joined_at", "priority",
              "priority_breakdown", "priority_on")
    seen = 0
    while seen < rows:
        page = list(WaitlistEntry.objects.filter(active=True, pk__gt=after).order_by("pk")
                    .only(*fields)[: min(batch, rows - seen)])
        if not page:
            return changed, None
        after = page[-1].pk
        seen += len(page)
        for entry in page:
            before = (entry.priority, _points(entry.priority_breakdown))
            _refresh_priority_fields(entry, today)
            if (entry.priority, _points(entry.priority_breakdown)) == before:
                continue
            changed += WaitlistEntry.objects.filter(
                pk=entry.pk,
                urgent=entry.urgent,
                manual_boost=entry.manual_boost,
                current_appointment_at=entry.current_appointment_at,
                joined_at=entry.joined_at,
            ).update(priority=entry.priority, priority_breakdown=entry.priority_breakdown, priority_on=today)
    return changed, after


def _points(breakdown: dict | None) -> tuple:
    # the day counts move daily without changing any points: not worth a write
    b = breakdown or {}
    return tuple(b.get(k) for k in ("urgent", "manual_boost", "current_appointment", "time_on_list", "total"))


# --- integration API ---------------------------------------------------------------------------------
# Reference data (locations, providers, appointment types) written by the REST API and imports.

LOCATION_FIELDS = {
    "name", "sms_name", "time_zone", "address", "arrival_note", "arrival_note_es", "sending_start", "sending_end",
    "cutoff_minutes", "discreet", "external_id",
}
PROVIDER_FIELDS = {"name", "sms_name", "kind", "active", "external_id"}
APPOINTMENT_TYPE_FIELDS = {"code", "name", "default_minutes"}


def _save_reference(*, actor: Actor, model, instance, allowed: set[str], fields: dict, m2m: dict | None = None):
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown {model._meta.model_name} fields: {sorted(unknown)}")
    m2m = {k: v for k, v in (m2m or {}).items() if v is not None}
    created = instance is None
    before = None
    if created:
        instance = model()
    else:
        before = {**snapshot(instance), **{k: sorted(getattr(instance, k).values_list("pk", flat=True)) for k in m2m}}
    for key, value in fields.items():
        setattr(instance, key, value)
    if "external_id" in fields:
        instance.external_id = fields["external_id"] or None
    instance.full_clean()
    instance.save()
    for key, values in m2m.items():
        getattr(instance, key).set(values)
    after = {**snapshot(instance), **{k: sorted(v.pk for v in values) for k, values in m2m.items()}}
    label = model._meta.model_name
    audit_record(actor=actor, action=f"{label}.create" if created else f"{label}.update", obj=instance,
                 before=before, after=after)
    return instance, created


@transaction.atomic
def location_save(*, actor: Actor, location: Location | None = None, **fields) -> tuple[Location, bool]:
    """Create a location, or change the one given."""
    return _save_reference(actor=actor, model=Location, instance=location, allowed=LOCATION_FIELDS, fields=fields)


@transaction.atomic
def provider_save(
    *,
    actor: Actor,
    provider: Provider | None = None,
    locations: list[Location] | None = None,
    appointment_types: list | None = None,
    **fields,
) -> tuple[Provider, bool]:
    """Create a provider, or change the one given; `None` lists leave the links as they are."""
    return _save_reference(
        actor=actor, model=Provider, instance=provider, allowed=PROVIDER_FIELDS, fields=fields,
        m2m={"locations": locations, "appointment_types": appointment_types},
    )


@transaction.atomic
def appointment_type_save(*, actor: Actor, appointment_type=None, **fields):
    from .models import AppointmentType

    return _save_reference(actor=actor, model=AppointmentType, instance=appointment_type,
                           allowed=APPOINTMENT_TYPE_FIELDS, fields=fields)


def appointment_type_default():
    """The type a client gets when it names none (DEFAULT_APPOINTMENT_TYPE), created on first use so a
    minimal client works on a fresh install."""
    from django.conf import settings

    from .models import AppointmentType

    code = settings.DEFAULT_APPOINTMENT_TYPE
    atype = AppointmentType.objects.filter(code=code).first()
    if atype is not None:
        return atype
    with transaction.atomic():
        atype, created = AppointmentType.objects.get_or_create(
            code=code, defaults={"name": code.replace("-", " ").replace("_", " ").capitalize()[:80]}
        )
        if created:
            audit_record(actor=Actor.system("default-appointment-type"), action="appointmenttype.create",
                         obj=atype, after=snapshot(atype))
    return atype
