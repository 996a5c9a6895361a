"""The offer engine: every decision about a slot and its offers, called by tasks, the timer,
webhooks (through the messaging seam), the admin and the API alike.

Correctness rests on conditional UPDATEs (first writer wins) and database constraints (one accepted
offer per slot, one pending offer per number). `select_for_update` on the slot row is only queueing:
every change of a slot or its offers locks the slot first, then its offers, so concurrent
transactions wait in line instead of deadlocking. On SQLite it is a no-op and IMMEDIATE
transactions serialise writers instead."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import Counter, defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, IntegerField, Max, OuterRef, Q

from clinicbot.clock import now
from clinicbot.tasks import enqueue_after_commit
from core.actors import Actor
from core.prepared import Prepared, PreparedInsert, distinct, one_of, spread
from core.services import audit_record, audit_record_many
from messaging import services as messaging
from messaging.models import Message
from waitlist import services as waitlist
from waitlist.models import AppointmentType, Location, Patient, Provider, WaitlistEntry
from waitlist.selectors import location_cutoff_minutes, location_window, provider_takes, provider_works_at

from .models import Cancellation, Offer, OfferMessage
from .policy import plan_wave
from .selectors import (
    WEEK,
    busy_until,
    cancellation_deadline,
    caps_bound,
    caps_rule,
    exclusion_summary,
    pick_wave,
)
from .texts import slot_context

log = logging.getLogger(__name__)

WAVE_TASK = "offers.tasks.wave_advance_task"
SYSTEM = Actor.system("engine")
ACTIVE = [Cancellation.Status.OPEN, Cancellation.Status.OFFERING]
# A text received before a hold ended but not yet processed (a worker backlog, a lost task the
# sweeper retries after 10 s) keeps the timer from expiring that hold for at most this long after
# its end: the reply, judged by when it was received, decides the offer instead.
REPLY_PROCESSING_WAIT = dt.timedelta(minutes=2)
# the error code of an offer's text failed unsent because the offer ended first
OFFER_ENDED = "local-offer-ended"


class _NotWon(Exception):
    pass


def _lock_slot(cancellation_id: int) -> None:
    """Queue behind any other change to this slot (PostgreSQL). Lock order: slot, then offers."""
    _LOCK_SLOT.all(cancellation_id=cancellation_id)


def _locked_slot(cancellation_id: int) -> Cancellation:
    """`_lock_slot` and `_slot` in one query: the lock is on the slot row only (not its location,
    provider or type), and the row read is the one locked."""
    return _LOCKED_SLOT.get(cancellation_id=cancellation_id)


def _slot(cancellation_id: int) -> Cancellation:
    return _SLOT.get(cancellation_id=cancellation_id)


# The engine's single-row statements, run for every reply, hold and wave: compiled once per
# connection (core/prepared.py; tests check each call against the plain queryset)
_LOCK_SLOT = Prepared(
    lambda p: Cancellation.objects.select_for_update().filter(pk=p.cancellation_id).values_list("pk", flat=True)
)
_LOCKED_SLOT = Prepared(
    lambda p: Cancellation.objects.select_for_update(of=("self",))
    .select_related("location", "provider", "appointment_type")
    .filter(pk=p.cancellation_id)
    .order_by()
)
_SLOT = Prepared(
    lambda p: Cancellation.objects.select_related("location", "provider", "appointment_type")
    .filter(pk=p.cancellation_id).order_by()
)
# `.order_by()` where the model's default ordering would add work: Offer's sorts by its slot (a
# join), and `QuerySet.get`, which these replace, drops the ordering too
_OFFER = Prepared(lambda p: Offer.objects.select_related("patient", "phone").filter(pk=p.offer_id).order_by())
_ANY_PENDING = Prepared(
    lambda p: Offer.objects.filter(cancellation_id=p.cancellation_id, status=Offer.Status.PENDING)
    .order_by().values_list("pk", flat=True)[:1]
)
_WAVE_DUE_AT = Prepared(
    lambda p: (Cancellation.objects.filter(pk=p.cancellation_id, status__in=ACTIVE), {"next_wave_at": p.at}),
    kind="update",
)
_WAVE_MOVE = Prepared(lambda p: (
    Cancellation.objects.filter(pk=p.cancellation_id, current_wave=p.wave, status__in=ACTIVE),
    {"current_wave": F("current_wave") + 1, "status": Cancellation.Status.OFFERING, "next_wave_at": None},
), kind="update")
# a YES in time to a pending offer, and only while its entry is on the waitlist
_ACCEPT = Prepared(lambda p: (
    Offer.objects.filter(
        Exists(WaitlistEntry.objects.filter(pk=OuterRef("entry_id"), active=True)),
        pk=p.offer_id, status=Offer.Status.PENDING, expires_at__gt=p.received_at, sent_at__lte=p.received_at,
    ),
    {"status": Offer.Status.ACCEPTED, "responded_at": p.at, "ended_at": p.at},
), kind="update")
_FILL = Prepared(lambda p: (
    Cancellation.objects.filter(pk=p.cancellation_id, status=Cancellation.Status.OFFERING),
    {"status": Cancellation.Status.FILLED, "end_reason": Cancellation.EndReason.ACCEPTED, "filled_at": p.at,
     "filled_offer": p.offer_id, "ended_at": p.at, "next_wave_at": None},
), kind="update")
# a patient's answer ends their pending offer (a NO; a YES after their entry ended)
_ANSWERED = Prepared(lambda p: (
    Offer.objects.filter(pk=p.offer_id, status=Offer.Status.PENDING),
    {"status": p.status, "responded_at": p.at, "ended_at": p.at},
), kind="update")
_PENDING_OF_SLOT = Prepared(
    lambda p: Offer.objects.select_for_update(of=("self",))
    .filter(cancellation_id=p.cancellation_id, status=Offer.Status.PENDING)
    .select_related("patient", "phone")
    .order_by("pk")
)
_OFFER_WITH_SLOT = Prepared(
    lambda p: Offer.objects.select_related(
        "patient", "phone", "cancellation__location", "cancellation__provider"
    ).filter(pk=p.offer_id).order_by()
)
_TAKEN_TOLD_SINCE = Prepared(
    lambda p: OfferMessage.objects.filter(offer_id=p.offer_id, role="taken", message__created_at__gte=p.since)
    .values_list("pk", flat=True)[:1]
)


def _text(offer: Offer, template: str, role: str, **extra) -> Message | None:
    """Queue a text about this offer to its number, linked to the offer."""
    patient = offer.patient
    if template in TEXTS_ABOUT_CURRENT_APPOINTMENT:
        extra.setdefault("has_current", offer.entry_id in _with_current_appointment([offer]))
    context = slot_context(offer.cancellation, patient.language, **extra)
    message = messaging.message_enqueue(
        phone=offer.phone,
        template=template,
        context=context,
        language=patient.language,
        patient=patient,
        valid_until=extra.get("reply_by"),
        respects_window=template == "offer",
        auto_reply=role == "reply",
    )
    if message is not None:
        OfferMessage.objects.create(offer=offer, message=message, role=template)
    return message


# texts that mention the patient's current appointment ("it stands", "it will be released"): only
# to patients who have one
TEXTS_ABOUT_CURRENT_APPOINTMENT = ("confirmed", "taken")


def _with_current_appointment(offers: list[Offer]) -> set[int]:
    """The entries among these offers' that hold a current appointment."""
    return set(
        WaitlistEntry.objects.filter(pk__in={o.entry_id for o in offers}, current_appointment_at__isnull=False)
        .values_list("pk", flat=True)
    )


def _texts(
    offers: list[Offer], template: str, *, reply_by: dt.datetime | None = None, send_by: dt.datetime | None = None
) -> list[Message | None]:
    """`_text` for many offers of one slot (a wave, the "taken" notices when it fills): one batch of
    messages and one INSERT of their links. Not for auto-replies. Returns, per offer, its text or
    None when the number cannot be texted. A text still unsent at `send_by` (default `reply_by`) is
    never sent."""
    send_by = send_by or reply_by
    if not offers:
        return []
    contexts: dict[tuple, dict] = {}
    current = _with_current_appointment(offers) if template in TEXTS_ABOUT_CURRENT_APPOINTMENT else set()
    items = []
    for offer in offers:
        language = offer.patient.language
        key = (language, offer.entry_id in current)
        if key not in contexts:
            # the slot's text differs only by language (and whether the patient has an appointment
            # to keep or give up): render its context once per kind
            contexts[key] = slot_context(offer.cancellation, language, reply_by=reply_by, has_current=key[1])
        items.append(messaging.Outgoing(phone=offer.phone, context=contexts[key], language=language,
                                        patient=offer.patient, valid_until=send_by))
    messages = messaging.messages_enqueue(template=template, items=items, respects_window=template == "offer")
    _LINK_INSERT.create([
        OfferMessage(offer=offer, message=message, role=template)
        for offer, message in zip(offers, messages, strict=True) if message is not None
    ])
    return messages


def _link_inbound(offer: Offer, message: Message | None) -> None:
    if message is None:
        return
    # one statement, no savepoint: a reply already linked (a sweeper's retry) keeps its link
    OfferMessage.objects.bulk_create([OfferMessage(offer=offer, message=message, role="reply")], ignore_conflicts=True)
    if message.patient_id is None:
        messaging.message_attribute(message_id=message.pk, patient_id=offer.patient_id)


def _after_resolution(cancellation_id: int, at: dt.datetime) -> None:
    """The last pending offer of a wave is resolved: the next wave starts now, not at the next poll."""
    if _ANY_PENDING.all(cancellation_id=cancellation_id):
        return
    n = _WAVE_DUE_AT.update(cancellation_id=cancellation_id, at=at)
    if n:
        enqueue_after_commit(WAVE_TASK, cancellation_id)


def _offer_texts_cancel(offer_ids: list[int]) -> set[int]:
    """These offers just ended: their texts still waiting to leave (a retry, a paused sender, a
    backlog) must not go out after all ("Reply YES" to an offer that is over). Returns the offers
    whose text never left, so no news about them is sent either."""
    # by the offers' ids, the message state checked by primary key: a join filtered on the
    # message's state let SQLite start from the whole outbox (see `_expire_slot`)
    if not offer_ids:
        return set()
    ids = distinct(offer_ids)
    links = dict(_OFFER_TEXTS.all(len(ids), **spread("offer", ids)))
    cancelled = messaging.messages_cancel_queued(
        message_ids=list(links), code=OFFER_ENDED, text="not sent: the offer ended before its text could go"
    )
    return {links[message_id] for message_id in cancelled}


# --- creating a slot ------------------------------------------------------------------------------


def cancellation_validate(
    *,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start_at: dt.datetime,
    duration_minutes: int,
    exclude_pk: int | None = None,
) -> None:
    errors: dict[str, str] = {}
    at = now()
    if start_at is None or start_at.tzinfo is None:
        raise ValidationError({"start_at": "A start time with its time zone is required."})
    if not duration_minutes or duration_minutes <= 0:
        errors["duration_minutes"] = "The slot needs a positive length in minutes."
    if start_at <= at:
        errors["start_at"] = "This slot is in the past."
    else:
        cutoff = location_cutoff_minutes(location)
        if start_at - dt.timedelta(minutes=cutoff) <= at:
            errors["start_at"] = f"This slot starts within the {cutoff}-minute cutoff: too late to offer by text."
    if not provider.active:
        errors["provider"] = "This provider is not active."
    elif not provider_works_at(provider_id=provider.pk, location_id=location.pk):
        errors["location"] = f"{provider} does not work at {location}."
    elif not provider_takes(provider_id=provider.pk, type_id=appointment_type.pk):
        errors["appointment_type"] = f"{provider} does not take {appointment_type} visits."
    if start_at is not None and "start_at" not in errors:
        if _SAME_SLOT_LIVE.all(bool(exclude_pk), provider_id=provider.pk, start_at=start_at,
                               exclude_pk=exclude_pk or 0):
            errors["start_at"] = "This slot is already logged (a live cancellation for this provider and time exists)."
    if errors:
        raise ValidationError(errors)


def _same_slot_live(p, excluding: bool):
    dup = Cancellation.objects.filter(provider_id=p.provider_id, start_at=p.start_at, status__in=Cancellation.LIVE)
    return (dup.exclude(pk=p.exclude_pk) if excluding else dup).values_list("pk", flat=True)[:1]


# key: whether a slot being edited is left out
_SAME_SLOT_LIVE = Prepared(_same_slot_live, keyed=True)


def cancellation_create(
    *,
    actor: Actor,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start_at: dt.datetime,
    duration_minutes: int,
    reason: str = "",
    external_id: str | None = None,
    chained_from: Cancellation | None = None,
) -> Cancellation:
    """Log a freed slot and, after commit, start outreach (now, or at the next sending window)."""
    cancellation_validate(
        provider=provider, location=location, appointment_type=appointment_type,
        start_at=start_at, duration_minutes=duration_minutes,
    )
    at = now()
    window = location_window(location, around=at)
    first = window.next_open(at)
    deadline = start_at - dt.timedelta(minutes=location_cutoff_minutes(location))
    if first is not None and first + dt.timedelta(minutes=settings.OFFER_MIN_HOLD_MINUTES) > deadline:
        # the next window opens too late for even a short hold: decide now (unfilled, cutoff)
        first = None
    try:
        with transaction.atomic():
            c = Cancellation.objects.create(
                provider=provider,
                location=location,
                appointment_type=appointment_type,
                start_at=start_at,
                duration_minutes=duration_minutes,
                reason=reason,
                logged_by=actor.label,
                created_at=at,
                next_wave_at=first if first is not None else at,
                external_id=external_id or None,
                chained_from=chained_from,
            )
            audit_record(
                actor=actor, action="cancellation.create", obj=c,
                after={"provider": provider.pk, "location": location.pk, "start_at": start_at,
                       "duration_minutes": duration_minutes, "appointment_type": appointment_type.pk},
            )
            if c.next_wave_at <= at:
                enqueue_after_commit(WAVE_TASK, c.pk)
    except IntegrityError:
        raise ValidationError({"start_at": "This slot is already logged (a live cancellation for this provider and time exists)."}) from None
    return c


# --- waves ------------------------------------------------------------------------------------------


def _end(c: Cancellation, *, status: str, reason: str, at: dt.datetime, actor: Actor = SYSTEM, summary=None) -> bool:
    n = Cancellation.objects.filter(pk=c.pk, status__in=ACTIVE).update(
        status=status, end_reason=reason, ended_at=at, next_wave_at=None, exclusion_summary=summary
    )
    if n == 1:
        audit_record(actor=actor, action=f"cancellation.{status}", obj=c, before={"status": c.status},
                     after={"status": status, "end_reason": reason})
    return n == 1


def wave_advance(
    *, cancellation_id: int, force: bool = False, actor: Actor = SYSTEM, expected_wave: int | None = None
) -> str:
    """Start the next wave if one is due. Safe to call any number of times from anywhere: only one
    caller can move the slot from wave n to n+1 (conditional UPDATE)."""
    at = now()
    with transaction.atomic():
        c = _locked_slot(cancellation_id)
        if c.status not in ACTIVE:
            return "ended"
        if expected_wave is not None and c.current_wave != expected_wave:
            # a second click on "next wave now" (or a stale form): the wave already moved on
            return "already-advanced"
        if c.paused and not force:
            return "paused"
        if messaging.sender_is_paused():
            return "sender-paused"
        pending = bool(_ANY_PENDING.all(cancellation_id=c.pk))
        if pending and not force:
            if c.next_wave_at is not None:
                # due too early (a sweep raced a wave): the last resolution schedules the next one
                Cancellation.objects.filter(pk=c.pk).update(next_wave_at=None)
            return "pending"
        if not force and c.next_wave_at is not None and c.next_wave_at > at:
            return "not-due"
        deadline = cancellation_deadline(c)
        window = location_window(c.location, around=at)
        min_hold = dt.timedelta(minutes=settings.OFFER_MIN_HOLD_MINUTES)
        # A wave's texts may not leave after the sending hours end: one started seconds before
        # closing reached nobody, yet counted its patients as offered (capped for the day). With
        # less than a minimum hold (at least a minute) left, the window counts as closed.
        stops = window.sending_stops_at(at)
        closing = stops is not None and stops - at < max(min_hold, dt.timedelta(minutes=1))
        if closing or not window.is_open(at):
            opens = window.next_open(stops if closing else at)
            if opens is None or opens + min_hold > deadline:
                if not pending:
                    _end(c, status=Cancellation.Status.UNFILLED, reason=Cancellation.EndReason.CUTOFF, at=at, actor=actor)
                return "cutoff"
            _WAVE_DUE_AT.update(cancellation_id=c.pk, at=opens)
            return "waiting-for-window"
        plan = plan_wave(at=at, deadline=deadline)
        if plan is None:
            if not pending:
                _end(c, status=Cancellation.Status.UNFILLED, reason=Cancellation.EndReason.CUTOFF, at=at, actor=actor)
            return "cutoff"
        entries = pick_wave(cancellation=c, at=at, size=plan.batch)
        if not entries:
            if not pending:
                retry = busy_until(cancellation=c, at=at)
                if retry is not None and retry + min_hold <= deadline:
                    # people are only busy (pending elsewhere, resting): not "nobody left" yet
                    _WAVE_DUE_AT.update(cancellation_id=c.pk, at=retry)
                    return "waiting-for-busy"
                _end(c, status=Cancellation.Status.UNFILLED, reason=Cancellation.EndReason.EXHAUSTED, at=at,
                     actor=actor, summary=exclusion_summary(cancellation=c, at=at))
            return "exhausted"
        n = _WAVE_MOVE.update(cancellation_id=c.pk, wave=c.current_wave)
        if n != 1:
            return "lost-race"
        wave = c.current_wave + 1
        c.status, c.current_wave = Cancellation.Status.OFFERING, wave
        # insert in phone order: two waves of different slots that race for the same numbers then
        # wait on each other's unique-index entries in one order and cannot deadlock
        offers = _offers_insert(cancellation=c, entries=sorted(entries, key=lambda e: e.patient.phone_id),
                                wave=wave, at=at, expires_at=plan.expires_at)
        _caps_note(phone_ids=[offer.phone_id for offer in offers], at=at)
        # A text held up by retries or a backlog must not reach the patient after the location's
        # sending hours (the reference texted at night): it may leave until the hold ends or the
        # window closes, whichever is first. Twilio's validity period is cut the same way.
        send_by = min(plan.expires_at, stops) if stops is not None else plan.expires_at
        texts = _texts(offers, "offer", reply_by=plan.expires_at, send_by=send_by)
        # a number that cannot be texted after all: resolve its offer now instead of holding it
        untextable = [offer.pk for offer, message in zip(offers, texts, strict=True) if message is None]
        if untextable:
            Offer.objects.filter(pk__in=untextable).update(status=Offer.Status.UNDELIVERABLE, ended_at=at)
            audit_record_many(actor=actor, action="offer.undeliverable",
                              objs=[offer for offer in offers if offer.pk in untextable],
                              before={"status": "pending"}, after={"status": "undeliverable"})
        made = len(offers) - len(untextable)
        audit_record(actor=actor, action="cancellation.wave", obj=c, after={"wave": wave, "offers": made,
                     "hold_seconds": int(plan.hold.total_seconds())})
        if made == 0:
            Cancellation.objects.filter(pk=c.pk).update(next_wave_at=at)
        return f"wave {wave}: {made} offers"


# each wave's offers and their links to its texts (core/prepared.py)
_OFFER_INSERT = PreparedInsert(Offer)
_LINK_INSERT = PreparedInsert(OfferMessage)


def _offers_insert(
    *, cancellation: Cancellation, entries: list[WaitlistEntry], wave: int, at: dt.datetime, expires_at: dt.datetime
) -> list[Offer]:
    """Insert a wave's offers (entries in phone order), skipping numbers a concurrent wave of another
    slot has just offered. One INSERT for the wave; only when it hits a unique constraint (that race)
    does it fall back to one savepoint per offer, so a single taken number costs only itself."""

    def build(entry: WaitlistEntry) -> Offer:
        offer = Offer(
            cancellation=cancellation, entry=entry, patient=entry.patient, phone=entry.patient.phone, wave=wave,
            score=entry.priority,
            score_breakdown={**entry.priority_breakdown, "offers_last_7_days": entry.offers_week},
            sent_at=at, expires_at=expires_at,
        )
        return offer

    try:
        with transaction.atomic():
            return _OFFER_INSERT.create([build(entry) for entry in entries])
    except IntegrityError:
        pass
    offers = []
    for entry in entries:
        offer = build(entry)
        try:
            with transaction.atomic():
                offer.save(force_insert=True)
        except IntegrityError:
            # the number was just offered another slot by a concurrent wave: skip it
            continue
        offers.append(offer)
    return offers


def _caps_note(*, phone_ids: list[int], at: dt.datetime) -> None:
    """Write on the entries of these numbers until when the offer caps keep them out (selection's
    first, cheap test). Computed from the offers stored, which are only ever added, so a value
    written from an older read is lower than the truth: it can let a capped entry through to the
    exact counts, never keep an eligible one out. A patient given another number starts afresh
    (waitlist.services.patient_upsert, which changes the patient row first): the patients are read
    locked, so a change of number either committed before this read (the patient is no longer on
    these numbers) or waits for this wave."""
    if not phone_ids:
        return
    on_number: dict[int, list[int]] = defaultdict(list)
    phones = distinct(phone_ids)
    for patient_id, phone_id in _PATIENTS_ON_NUMBERS.all(len(phones), **spread("phone", phones)):
        on_number[phone_id].append(patient_id)
    sent: dict[int, list[dt.datetime]] = defaultdict(list)
    for phone_id, sent_at in _SENT_TO_NUMBERS.all(len(phones), since=at - WEEK, **spread("phone", phones)):
        sent[phone_id].append(sent_at)
    by_bound: dict[dt.datetime, list[int]] = defaultdict(list)
    for phone_id, times in sent.items():
        bound = caps_bound(times)
        if bound is not None:
            by_bound[bound] += on_number[phone_id]
    rule = caps_rule()
    for bound, patients in sorted(by_bound.items()):
        if patients:
            patients = distinct(patients)
            _CAP_ENTRIES.update(len(patients), bound=bound, rule=rule, **spread("patient", patients))


# a wave's numbers, as many as the wave has (core/prepared.py: keyed by how many)
_PATIENTS_ON_NUMBERS = Prepared(
    lambda p, n: Patient.objects.select_for_update().filter(one_of("phone_id", p, "phone", n))
    .order_by("pk").values_list("pk", "phone_id"),
    keyed=True,
)
_SENT_TO_NUMBERS = Prepared(
    lambda p, n: Offer.objects.filter(one_of("phone_id", p, "phone", n), sent_at__gte=p.since)
    .order_by().values_list("phone_id", "sent_at"),
    keyed=True,
)
_CAP_ENTRIES = Prepared(lambda p, n: (
    WaitlistEntry.objects.filter(one_of("patient_id", p, "patient", n)),
    {"offer_capped_until": p.bound, "offer_caps_rule": p.rule},
), kind="update", keyed=True)


# --- replies ------------------------------------------------------------------------------------------


def offer_accept(*, offer_id: int, received_at: dt.datetime, message: Message | None = None) -> str:
    """A YES. Wins only while the offer is pending, received before its hold ended, and the slot is
    still offering; exactly one offer per slot can win (conditional updates + constraint)."""
    offer = _OFFER.get(offer_id=offer_id)
    actor = Actor.patient(offer.phone.e164)
    with transaction.atomic():
        _lock_slot(offer.cancellation_id)
        at = now()
        try:
            with transaction.atomic():
                # a YES stored before the offer existed (held up by an outage) answers an older one;
                # an entry taken off the waitlist while its offer was pending books nothing
                n = _ACCEPT.update(offer_id=offer.pk, received_at=received_at, at=at)
                if n != 1:
                    raise _NotWon
                m = _FILL.update(cancellation_id=offer.cancellation_id, offer_id=offer.pk, at=at)
                if m != 1:
                    raise _NotWon
                # The check above reads the entry as of this statement; a removal (staff, the API,
                # an import, the retention run) committing meanwhile is settled here: the entry's
                # own conditional UPDATE waits for it, and only one of the two ends the entry.
                if not waitlist.entry_deactivate(entry_id=offer.entry_id, reason=WaitlistEntry.InactiveReason.FULFILLED,
                                                 actor=actor, note=f"filled cancellation {offer.cancellation_id}"):
                    raise _NotWon
        except (_NotWon, IntegrityError):
            if _withdraw_for_ended_entry(offer=offer, actor=actor, message=message, received_at=received_at):
                return "entry-ended"
            return _late_reply(offer_id=offer.pk, message=message, received_at=received_at)
        c = _slot(offer.cancellation_id)
        offer.cancellation = c
        _link_inbound(offer, message)
        # the entry just ended (booked) and stays ended; its count of silences starts again
        waitlist.entry_replied(entry_id=offer.entry_id, actor=actor)
        audit_record(actor=actor, action="offer.accept", obj=offer, before={"status": "pending"},
                     after={"status": "accepted"})
        audit_record(actor=actor, action="cancellation.filled", obj=c, before={"status": "offering"},
                     after={"status": "filled", "filled_offer": offer.pk})
        # once per offer, so not an auto-reply under the loop limit: a booked patient is always told
        _text(offer, "confirmed", "confirmation")
        _end_pending(c, new_status=Offer.Status.SUPERSEDED, at=at, actor=actor)
        return "accepted"


def _withdraw_for_ended_entry(*, offer: Offer, actor: Actor, message: Message | None, received_at: dt.datetime) -> bool:
    """A YES in time to a pending offer whose entry was taken off the waitlist meanwhile: the offer
    ends (withdrawn, in the patient's name) and the cascade goes on. The patient is asked to call
    the clinic: every outcome text says "you stay on the waitlist", untrue for them, and silence
    after a YES would leave them waiting. Runs under the slot lock."""
    if not offer.sent_at <= received_at < offer.expires_at:
        return False
    if WaitlistEntry.objects.filter(pk=offer.entry_id, active=True).exists():
        return False
    at = now()
    n = _ANSWERED.update(offer_id=offer.pk, status=Offer.Status.WITHDRAWN, at=at)
    if n != 1:
        return False
    _link_inbound(offer, message)
    audit_record(actor=actor, action=f"offer.{Offer.Status.WITHDRAWN}", obj=offer, before={"status": "pending"},
                 after={"status": Offer.Status.WITHDRAWN}, note="accepted after the entry left the waitlist")
    _offer_texts_cancel([offer.pk])
    _text(offer, "staff_call_us", "reply")
    _after_resolution(offer.cancellation_id, at)
    return True


def _end_pending(c: Cancellation, *, new_status: str, at: dt.datetime, actor: Actor, notify: bool = True) -> int:
    """End every pending offer of a slot that has ended, telling each patient the truth: one UPDATE,
    one audit INSERT and one batch of texts for all of them."""
    # lock order: the slot (held by every caller), then its offers; the rows read stay pending
    offers = _PENDING_OF_SLOT.all(cancellation_id=c.pk)
    if not offers:
        return 0
    ids = [offer.pk for offer in offers]
    n = _END_PENDING.update(len(ids), status=new_status, at=at, **spread("offer", ids))
    if n != len(ids):
        # defensive (the rows are locked): only the offers this UPDATE ended
        ended = set(Offer.objects.filter(pk__in=ids, status=new_status, ended_at=at).values_list("pk", flat=True))
        offers = [offer for offer in offers if offer.pk in ended]
    for offer in offers:
        offer.cancellation = c
    audit_record_many(actor=actor, action=f"offer.{new_status}", objs=offers, before={"status": "pending"},
                      after={"status": new_status})
    never_left = _offer_texts_cancel([offer.pk for offer in offers])
    if notify:
        # superseded: someone else (or a phone call) took it; withdrawn: staff took it back. Not to
        # a patient whose offer never reached them: news of an offer they never had
        _texts([offer for offer in offers if offer.pk not in never_left],
               "taken" if new_status == Offer.Status.SUPERSEDED else "no_longer_available")
    return len(offers)


def _late_reply(*, offer_id: int, message: Message | None, received_at: dt.datetime) -> str:
    """A YES that did not win: tell the patient the truth."""
    offer = _OFFER_WITH_SLOT.get(offer_id=offer_id)
    _link_inbound(offer, message)
    if offer.status == Offer.Status.ACCEPTED:
        _text(offer, "confirmed", "reply")  # a repeated YES from the winner: repeat the confirmation
        return "already-accepted"
    # a late YES is still an answer: the texts below tell the patient they stay on the waitlist, so an
    # entry the engine ended for silence (perhaps at this very hold's end) must come back
    waitlist.entry_replied(entry_id=offer.entry_id, actor=Actor.patient(offer.phone.e164))
    if offer.status in (Offer.Status.SUPERSEDED,) or offer.cancellation.status == Cancellation.Status.FILLED:
        # a YES already in flight when the slot was filled is answered by the "taken" notice sent
        # then: one "taken" text per patient, not two
        told = bool(_TAKEN_TOLD_SINCE.all(offer_id=offer.pk, since=received_at))
        if not told:
            _text(offer, "taken", "reply")
        return "taken"
    if offer.status == Offer.Status.EXPIRED or (offer.status == Offer.Status.PENDING and offer.expires_at <= received_at):
        _text(offer, "expired", "reply")
        return "expired"
    _text(offer, "no_longer_available", "reply")
    return "no-longer-available"


def offer_decline(*, offer_id: int, message: Message | None = None) -> str:
    offer = _OFFER.get(offer_id=offer_id)
    actor = Actor.patient(offer.phone.e164)
    with transaction.atomic():
        offer.cancellation = _locked_slot(offer.cancellation_id)
        at = now()
        n = _ANSWERED.update(offer_id=offer.pk, status=Offer.Status.DECLINED, at=at)
        _link_inbound(offer, message)
        if n != 1:
            return "not-pending"
        waitlist.entry_replied(entry_id=offer.entry_id, actor=actor)
        audit_record(actor=actor, action="offer.declined", obj=offer, before={"status": "pending"},
                     after={"status": "declined"})
        _text(offer, "declined_ack", "reply")
        _after_resolution(offer.cancellation_id, at)
        return "declined"


def offer_clarify(*, offer_id: int, message: Message) -> str:
    """An unrecognised text with a pending offer: one clarification per offer; flagged for staff."""
    offer = _OFFER.get(offer_id=offer_id)
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(needs_attention="unrecognised")
        offer.cancellation = _slot(offer.cancellation_id)
        _link_inbound(offer, message)
        # an answer we could not read is still an answer, not a silence
        waitlist.entry_replied(entry_id=offer.entry_id, actor=Actor.patient(offer.phone.e164))
        n = Offer.objects.filter(pk=offer.pk, status=Offer.Status.PENDING, clarified=False).update(clarified=True)
        if n == 1:
            _text(offer, "clarify", "reply", reply_by=offer.expires_at)
            return "clarified"
        return "flagged"


# --- expiry, failures, opt-outs ---------------------------------------------------------------------------


def offers_expire_due(*, at: dt.datetime | None = None) -> int:
    """Expire holds that have ended (the timer runs this several times a second)."""
    at = at or now()
    limit = at - dt.timedelta(seconds=settings.OFFER_EXPIRY_GRACE_SECONDS)
    expired = 0
    for cancellation_id in _SLOTS_WITH_ENDED_HOLDS.all(limit=limit):
        try:
            expired += _expire_slot(cancellation_id=cancellation_id, limit=limit)
        except Exception:  # noqa: BLE001 - one broken slot must not starve every other slot's expiry
            log.exception("expiring the holds of cancellation %s failed; retrying next tick", cancellation_id)
    return expired


def _expire_slot(*, cancellation_id: int, limit: dt.datetime) -> int:
    """Expire a slot's ended holds together: one UPDATE, one audit INSERT, one look at which texts
    went out, one UPDATE of the silent entries' counts."""
    with transaction.atomic():
        _lock_slot(cancellation_id)
        at = now()
        # lock order: the slot, then its offers; the rows read stay pending until the UPDATE below
        offers = _EXPIRING.all(cancellation_id=cancellation_id, limit=limit, waited_from=at - REPLY_PROCESSING_WAIT)
        if not offers:
            return 0
        ids = [offer.pk for offer in offers]
        n = _EXPIRE.update(len(ids), limit=limit, at=at, **spread("offer", ids))
        if n != len(ids):
            # defensive (the rows are locked): count only the offers this UPDATE expired
            offers = list(Offer.objects.filter(pk__in=ids, status=Offer.Status.EXPIRED, ended_at=at)
                          .only("pk", "entry_id", "cancellation_id"))
            if not offers:
                return 0
        audit_record_many(actor=SYSTEM, action="offer.expired", objs=offers, before={"status": "pending"},
                          after={"status": "expired"})
        # the text never left (a backlog, an outage): silence is not the patient's doing
        # driven by the offers' ids, the state read per row: filtering on the message's state let
        # SQLite start from every sent message (a scan that grew with the outbox)
        # and a hold the patient answered with something we could not read was not silence either
        texted, answered = set(), set()
        ids = [offer.pk for offer in offers]
        for offer_id, role, state in _TEXTS_AND_REPLIES.all(len(ids), **spread("offer", ids)):
            if role == "reply":
                answered.add(offer_id)
            elif state == Message.SendState.SENT:
                texted.add(offer_id)
        silent = Counter(offer.entry_id for offer in offers if offer.pk in texted - answered)
        for times in set(silent.values()):
            entries = distinct(e for e, k in silent.items() if k == times)
            _SILENT_MORE.update(len(entries), times=times, **spread("entry", entries))
        if silent:
            entries = distinct(silent)
            for entry_id in _UNRESPONSIVE.all(len(entries), after=settings.OFFER_UNRESPONSIVE_AFTER,
                                              **spread("entry", entries)):
                waitlist.entry_deactivate(
                    entry_id=entry_id, reason=WaitlistEntry.InactiveReason.UNRESPONSIVE, actor=SYSTEM,
                    note=f"{settings.OFFER_UNRESPONSIVE_AFTER} offers in a row with no reply",
                )
        if offers:
            _after_resolution(cancellation_id, at)
        return len(offers)


_SLOTS_WITH_ENDED_HOLDS = Prepared(
    lambda p: Offer.objects.filter(status=Offer.Status.PENDING, expires_at__lte=p.limit)
    .order_by()
    .values_list("cancellation_id", flat=True)
    .distinct()[:200]
)
_EXPIRING = Prepared(
    lambda p: Offer.objects.select_for_update()
    .filter(cancellation_id=p.cancellation_id, status=Offer.Status.PENDING, expires_at__lte=p.limit)
    # A text from the number received during the hold and not processed yet (a worker backlog, a
    # lost task the sweeper retries after 10 s) may be a YES in time: its processing decides the
    # offer, not the timer. Bounded, so a text that is never processed cannot stall the slot.
    .exclude(Q(expires_at__gt=p.waited_from) & Exists(Message.objects.filter(
        direction=Message.Direction.INBOUND, processed_at__isnull=True, phone_id=OuterRef("phone_id"),
        created_at__gte=OuterRef("sent_at"), created_at__lte=OuterRef("expires_at"),
    )))
    .order_by("pk")
    .only("pk", "entry_id", "cancellation_id")
)


# the same, for the offers of one hold's end (keyed by how many)
_EXPIRE = Prepared(lambda p, n: (
    Offer.objects.filter(one_of("pk", p, "offer", n), status=Offer.Status.PENDING, expires_at__lte=p.limit),
    {"status": Offer.Status.EXPIRED, "ended_at": p.at},
), kind="update", keyed=True)
_END_PENDING = Prepared(lambda p, n: (
    Offer.objects.filter(one_of("pk", p, "offer", n), status=Offer.Status.PENDING),
    {"status": p.status, "ended_at": p.at},
), kind="update", keyed=True)
_OFFER_TEXTS = Prepared(
    lambda p, n: OfferMessage.objects.filter(one_of("offer_id", p, "offer", n), role="offer")
    .values_list("message_id", "offer_id"),
    keyed=True,
)
_TEXTS_AND_REPLIES = Prepared(
    lambda p, n: OfferMessage.objects.filter(one_of("offer_id", p, "offer", n), role__in=("offer", "reply"))
    .values_list("offer_id", "role", "message__send_state"),
    keyed=True,
)
_SILENT_MORE = Prepared(lambda p, n: (
    WaitlistEntry.objects.filter(one_of("pk", p, "entry", n)),
    {"consecutive_no_reply": F("consecutive_no_reply") + p("times", IntegerField())},
), kind="update", keyed=True)
_UNRESPONSIVE = Prepared(
    lambda p, n: WaitlistEntry.objects.filter(
        one_of("pk", p, "entry", n), active=True, consecutive_no_reply__gte=p.after
    ).order_by("pk").values_list("pk", flat=True),
    keyed=True,
)


def _resolve_one(*, offer_id: int, new_status: str, actor: Actor, notify: str | None = None) -> bool:
    offer = _OFFER.get(offer_id=offer_id)
    with transaction.atomic():
        _lock_slot(offer.cancellation_id)
        at = now()
        n = _END_PENDING.update(1, status=new_status, at=at, **spread("offer", [offer.pk]))
        if n != 1:
            return False
        audit_record(actor=actor, action=f"offer.{new_status}", obj=offer, before={"status": "pending"},
                     after={"status": new_status})
        never_left = _offer_texts_cancel([offer.pk])
        if notify and offer.pk not in never_left:
            offer.cancellation = _slot(offer.cancellation_id)
            _text(offer, notify, "notice")
        _after_resolution(offer.cancellation_id, at)
        return True


def offer_mark_undeliverable(*, offer_id: int) -> bool:
    return _resolve_one(offer_id=offer_id, new_status=Offer.Status.UNDELIVERABLE, actor=Actor.system("carrier"))


def offer_withdraw(*, offer_id: int, actor: Actor) -> bool:
    """Staff take back one offer (the patient is told); the next wave follows if it was the last."""
    return _resolve_one(offer_id=offer_id, new_status=Offer.Status.WITHDRAWN, actor=actor, notify="no_longer_available")


def offers_withdraw_for_phone(*, phone_id: int, actor: Actor) -> int:
    """The number opted out: withdraw what is pending to it, silently."""
    ids = list(Offer.objects.filter(phone_id=phone_id, status=Offer.Status.PENDING).values_list("pk", flat=True))
    return sum(_resolve_one(offer_id=pk, new_status=Offer.Status.WITHDRAWN, actor=actor) for pk in ids)


# --- staff actions ------------------------------------------------------------------------------------------


def cancellation_withdraw(*, cancellation_id: int, actor: Actor) -> bool:
    with transaction.atomic():
        c = _locked_slot(cancellation_id)
        at = now()
        if not _end(c, status=Cancellation.Status.WITHDRAWN, reason=Cancellation.EndReason.WITHDRAWN, at=at, actor=actor):
            return False
        _end_pending(c, new_status=Offer.Status.WITHDRAWN, at=at, actor=actor)
        return True


def cancellation_mark_filled_by_phone(*, cancellation_id: int, actor: Actor, note: str = "") -> bool:
    with transaction.atomic():
        c = _locked_slot(cancellation_id)
        at = now()
        n = Cancellation.objects.filter(pk=c.pk, status__in=ACTIVE).update(
            status=Cancellation.Status.FILLED, end_reason=Cancellation.EndReason.BY_PHONE, filled_at=at,
            ended_at=at, next_wave_at=None, filled_note=note[:200],
        )
        if n != 1:
            return False
        audit_record(actor=actor, action="cancellation.filled_by_phone", obj=c, before={"status": c.status},
                     after={"status": "filled"}, note=note)
        _end_pending(c, new_status=Offer.Status.SUPERSEDED, at=at, actor=actor)
        return True


def cancellation_pause(*, cancellation_id: int, actor: Actor) -> bool:
    with transaction.atomic():
        n = Cancellation.objects.filter(pk=cancellation_id, status__in=ACTIVE, paused=False).update(paused=True)
        if n == 1:
            audit_record(actor=actor, action="cancellation.pause", object_type="offers.cancellation",
                         object_id=cancellation_id, before={"paused": False}, after={"paused": True})
        return n == 1


def cancellation_resume(*, cancellation_id: int, actor: Actor) -> bool:
    with transaction.atomic():
        at = now()
        n = Cancellation.objects.filter(pk=cancellation_id, status__in=ACTIVE, paused=True).update(paused=False)
        if n == 1:
            audit_record(actor=actor, action="cancellation.resume", object_type="offers.cancellation",
                         object_id=cancellation_id, before={"paused": True}, after={"paused": False})
            _after_resolution(cancellation_id, at)
        return n == 1


def cancellation_next_wave_now(*, cancellation_id: int, actor: Actor, after_wave: int | None = None) -> str:
    """Staff: start the next wave now, even with offers pending or outreach paused (still inside the
    sending window and before the cutoff). `after_wave`, when given, makes a repeated request a no-op."""
    return wave_advance(cancellation_id=cancellation_id, force=True, actor=actor, expected_wave=after_wave)


def cancellation_ehr_tick(*, cancellation_id: int, which: str, actor: Actor) -> bool:
    """The two EHR follow-ups of a fill: the new visit booked, the old one released."""
    if which not in ("booked", "released"):
        raise ValidationError({"which": "Choose 'booked' or 'released'."})
    field = f"ehr_{which}_at"
    with transaction.atomic():
        n = Cancellation.objects.filter(
            pk=cancellation_id, status=Cancellation.Status.FILLED, **{f"{field}__isnull": True}
        ).update(**{field: now(), f"ehr_{which}_by": actor.label})
        if n == 1:
            audit_record(actor=actor, action=f"cancellation.ehr_{which}", object_type="offers.cancellation",
                         object_id=cancellation_id, after={field: now()})
        return n == 1


def cancellation_chain_fill(*, cancellation_id: int, actor: Actor, duration_minutes: int | None = None) -> Cancellation:
    """Offer the winner's released old appointment to the waitlist: a new cancellation."""
    c = _slot(cancellation_id)
    offer = c.filled_offer
    if c.status != Cancellation.Status.FILLED or offer is None:
        raise ValidationError("Only a slot filled by a waitlist offer has an old appointment to release.")
    entry = offer.entry
    if not (entry.current_appointment_at and entry.current_appointment_provider and entry.current_appointment_location):
        raise ValidationError("The winner's old appointment (time, provider and location) is not recorded.")
    return cancellation_create(
        actor=actor,
        provider=entry.current_appointment_provider,
        location=entry.current_appointment_location,
        appointment_type=entry.appointment_type,
        start_at=entry.current_appointment_at,
        duration_minutes=duration_minutes or entry.visit_minutes or c.duration_minutes,
        reason=f"released by the fill of cancellation {c.pk}",
        chained_from=c,
    )


# --- the timer and the sweeper ------------------------------------------------------------------------------


def waves_due(*, at: dt.datetime, limit: int = 200) -> list[int]:
    return _WAVES_DUE.all(limit, at=at)


# every timer tick (core/prepared.py; keyed by the limit, a slice bound)
_WAVES_DUE = Prepared(
    lambda p, limit: Cancellation.objects.filter(status__in=ACTIVE, paused=False, next_wave_at__lte=p.at)
    .order_by("next_wave_at")
    .values_list("pk", flat=True)[:limit],
    keyed=True,
)


def engine_tick(*, at: dt.datetime | None = None) -> dict[str, int]:
    """One pass of the timer: expire ended holds, start due waves. Safe to run in several processes."""
    at = at or now()
    expired = offers_expire_due(at=at)
    started = 0
    if not messaging.sender_is_paused():
        # read the clock again: the waves the expiries above just made due start in this same pass
        for cancellation_id in waves_due(at=max(at, now())):
            try:
                if wave_advance(cancellation_id=cancellation_id).startswith("wave"):
                    started += 1
            except Exception:  # noqa: BLE001 - one broken slot must not starve the others' waves
                log.exception("starting a wave of cancellation %s failed; retrying in 30 s", cancellation_id)
                with contextlib.suppress(Exception):
                    Cancellation.objects.filter(pk=cancellation_id, status__in=ACTIVE).update(
                        next_wave_at=now() + dt.timedelta(seconds=30)
                    )
    return {"expired": expired, "waves": started}


def _repair_stalled(*, at: dt.datetime, limit: int = 200) -> int:
    """Active slots with nothing pending and nothing scheduled (a lost task, a crash between
    commit and enqueue): make them due. Re-checked under the slot lock, so a wave committing at
    the same moment is never made due by mistake."""
    ids = list(
        Cancellation.objects.filter(status__in=ACTIVE, next_wave_at__isnull=True)
        .exclude(offers__status=Offer.Status.PENDING)
        .values_list("pk", flat=True)[:limit]
    )
    repaired = 0
    for cancellation_id in ids:
        with transaction.atomic():
            _lock_slot(cancellation_id)
            if Offer.objects.filter(cancellation_id=cancellation_id, status=Offer.Status.PENDING).exists():
                continue
            repaired += Cancellation.objects.filter(
                pk=cancellation_id, status__in=ACTIVE, next_wave_at__isnull=True
            ).update(next_wave_at=at)
    return repaired


def _end_past_deadline(*, at: dt.datetime, limit: int = 200) -> int:
    """Active slots with no room left for a hold and nothing pending end unfilled (cutoff), paused
    ones included: a pause must not keep a slot `offering` past its cutoff."""
    longest = max(settings.OFFER_CUTOFF_MINUTES, Location.objects.aggregate(m=Max("cutoff_minutes"))["m"] or 0)
    horizon = at + dt.timedelta(minutes=longest + settings.OFFER_MIN_HOLD_MINUTES)
    ids = list(
        Cancellation.objects.filter(status__in=ACTIVE, start_at__lte=horizon)
        .exclude(offers__status=Offer.Status.PENDING)
        .values_list("pk", flat=True)[:limit]
    )
    ended = 0
    for cancellation_id in ids:
        with transaction.atomic():
            _lock_slot(cancellation_id)
            c = _slot(cancellation_id)
            if c.status not in ACTIVE or c.offers.filter(status=Offer.Status.PENDING).exists():
                continue
            if plan_wave(at=at, deadline=cancellation_deadline(c)) is not None:
                continue
            ended += _end(c, status=Cancellation.Status.UNFILLED, reason=Cancellation.EndReason.CUTOFF, at=at)
    return ended


def sweep(*, at: dt.datetime | None = None) -> dict[str, int]:
    """Repair what a crash or a lost task left behind: expired holds not processed, waves not
    started, slots past their cutoff, messages stuck queued, delivery statuses left unattached,
    inbound texts not processed.
    Idempotent and safe to run concurrently (with itself and with the timer)."""
    at = at or now()
    repaired = _repair_stalled(at=at)
    ended = _end_past_deadline(at=at)
    tick = engine_tick(at=at)
    due_messages = messaging.messages_due(at=at)
    for message_id in due_messages:
        with transaction.atomic():
            messaging.message_release_due(message_id=message_id, at=at)
    with transaction.atomic():
        lost = messaging.messages_requeue_lost(older_than=at - dt.timedelta(seconds=30))
    attached = messaging.status_events_attach_orphans(older_than=at - dt.timedelta(seconds=30),
                                                      since=at - dt.timedelta(days=1))
    reprocessed = 0
    for message_id in messaging.inbound_unprocessed(older_than=at - dt.timedelta(seconds=10)):
        try:
            messaging.inbound_process(message_id=message_id)
            reprocessed += 1
        except Exception:  # noqa: BLE001 - one bad row must not stop the sweep
            log.exception("reprocessing inbound message %s failed", message_id)
    return {"stalled": repaired, "cutoff": ended, **tick, "released": len(due_messages), "requeued": lost,
            "statuses_attached": attached, "reprocessed": reprocessed}


# --- integration API ---------------------------------------------------------------------------------


class CancellationLocked(Exception):
    """The change is refused by the slot's state (offers went out, or it ended): the API answers 409."""


SLOT_FIELDS = ("provider", "location", "appointment_type", "start_at", "duration_minutes")
UPDATABLE_FIELDS = (*SLOT_FIELDS, "reason", "external_id")


def _field_value(value):
    return value.pk if hasattr(value, "pk") else value


def _same(a, b) -> bool:
    a, b = _field_value(a), _field_value(b)
    if a in ("", None) and b in ("", None):  # an absent external_id or reason either way
        return True
    return a == b


def cancellation_update(*, cancellation_id: int, actor: Actor, **changes) -> Cancellation:
    """Change a logged slot. While it is `open` everything may change (validated as when logged); once
    offers went out (or it ended) its time, provider, location, type and length are fixed: patients
    were told them. Unchanged values are no change (an EHR may push the same record twice)."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown cancellation fields: {sorted(unknown)}")
    with transaction.atomic():
        c = _locked_slot(cancellation_id)
        diff = {k: v for k, v in changes.items() if not _same(v, getattr(c, k))}
        if not diff:
            return c
        slot_changes = [k for k in diff if k in SLOT_FIELDS]
        if slot_changes and c.status != Cancellation.Status.OPEN:
            raise CancellationLocked(
                f"This cancellation is {c.status}: its {', '.join(slot_changes)} can no longer change "
                "(patients were offered it as it is). Withdraw it and log the new slot instead."
            )
        merged = {k: diff.get(k, getattr(c, k)) for k in SLOT_FIELDS}
        if slot_changes:
            cancellation_validate(**merged, exclude_pk=c.pk)
        values = {}
        for key, value in diff.items():
            if key == "external_id":
                value = value or None
            values[f"{key}_id" if key in ("provider", "location", "appointment_type") else key] = _field_value(value)
        at = now()
        if "location" in diff:
            first = location_window(merged["location"], around=at).next_open(at)
            values["next_wave_at"] = first if first is not None else at
        before = {k: _field_value(getattr(c, k)) for k in diff}
        try:
            with transaction.atomic():
                n = Cancellation.objects.filter(pk=c.pk, status=c.status).update(**values)
        except IntegrityError:
            raise ValidationError({"start_at": "This slot is already logged (a live cancellation for this provider and time exists)."}) from None
        if n != 1:
            raise CancellationLocked("This cancellation changed state while it was being edited; fetch it and try again.")
        audit_record(actor=actor, action="cancellation.update", obj=c, before=before,
                     after={k: _field_value(v) for k, v in diff.items()})
        if values.get("next_wave_at") is not None and values["next_wave_at"] <= at:
            enqueue_after_commit(WAVE_TASK, c.pk)
    return _slot(cancellation_id)
