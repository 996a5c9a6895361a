"""The fill simulator: the real offer engine against simulated patients, on a virtual clock.

Design notes (docs/SIMULATION.md):
- No copy of the engine's logic. Slots are logged with `services.cancellation_create`, replies go
  through `messaging.services.inbound_record` + `inbound_process` (the grammar and the seam run), and
  the timer is `services.engine_tick`, called when the database says something is due. Tasks run
  inline on commit (TASKS_EAGER) and texts go to an in-memory backend.
- The clock jumps from event to event through `clinicbot.clock`: the next event is the earliest of
  the next logged slot, the next patient reply, and the next due hold or wave (read from the
  database, rounded up to the policy's timer tick). Nothing waits in real time.
- The world (locations, providers, patients, entries) involves no decision, so it is bulk-created;
  its priorities are then computed by the real `waitlist.services.priorities_refresh`.
- A policy is only settings (OFFER_BATCH_SIZE, OFFER_HOLD_MINUTES, ...) plus how often its timer
  looks. Every policy runs on its own copy of the same world: the same patients, slots and, for a
  given patient and slot, the same answer after the same delay.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import logging
import math
import random
import shutil
import signal
import sys
import tempfile
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import override_settings

from clinicbot import clock
from clinicbot.sending_window import default_window
from core import sqlite
from core.actors import Actor
from core.prepared import Prepared
from messaging import backends
from messaging import services as messaging
from messaging.models import Message, PhoneNumber
from waitlist.models import KIND_BITS, AppointmentType, Location, Patient, Provider, WaitlistEntry
from waitlist.services import priorities_refresh

from . import services
from .models import Cancellation, Offer
from .selectors import timer_next_due

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
LATEST_DIR = Path(settings.BASE_DIR) / "var" / "simulation"
STAFF = Actor("staff", "fill-simulator")
PREFIX = "sim-"
# fictional numbers: NPA-555-XXXX in ten Chicago-area codes (100,000 patients at most)
AREA_CODES = ("312", "773", "872", "630", "708", "847", "224", "331", "779", "815")
CLINIC_OPENS, CLINIC_CLOSES = dt.time(8, 0), dt.time(17, 0)
CELL = dt.timedelta(minutes=20)
# a same-day slot is logged at least this long before the sending window, cutoff and one hold allow
SAME_DAY_MARGIN = dt.timedelta(minutes=15)
# (code, name, minutes, share of the waitlist)
APPOINTMENT_TYPES = (
    ("follow-up", "Follow-up", 20, 0.60),
    ("new-patient", "New patient", 40, 0.25),
    ("procedure", "Procedure", 30, 0.15),
)
REPLY_BODIES = {
    ("accept", "en"): ("YES", "Yes", "yes please", "Y", "Ok", "Yes!"),
    ("accept", "es"): ("Si", "SI", "si por favor"),
    ("decline", "en"): ("NO", "No thanks", "no", "Not today"),
    ("decline", "es"): ("No", "no gracias"),
    ("opt_out", "en"): ("STOP", "Stop"),
    ("opt_out", "es"): ("BAJA", "STOP"),
}


class SimulationError(Exception):
    pass


# --- parameters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimConfig:
    """The simulated clinic and its patients. Defaults and where they come from: docs/SIMULATION.md."""

    seed: int = 1
    days: int = 28
    per_day: int = 20
    patients: int = 2000
    locations: int = 2
    providers: int = 10
    accept: float = 0.083  # Epic Fast Pass at Sutter Health: 8.3 % of offers accepted (JMIR 2020)
    decline: float = 0.30
    opt_out: float = 0.002
    reply_median_minutes: float = 5.0
    reply_sigma: float = 1.0
    reply_distribution: str = "lognormal"  # lognormal | exponential | fixed
    same_day_share: float = 0.35
    next_day_share: float = 0.25
    max_lead_days: int = 21
    preferences: float = 1.0  # scales the share of entries with each restriction (0: nobody has any)
    current_appointments: float = 0.85
    shared_phones: float = 0.05
    start: dt.date = dt.date(2026, 11, 2)  # a Monday
    time_zone: str = "America/Chicago"
    refresh_priorities: bool = True

    def check(self) -> None:
        problems = []
        if not 0 <= self.accept <= 1 or not 0 <= self.decline <= 1 or not 0 <= self.opt_out <= 1:
            problems.append("--accept, --decline and --opt-out are probabilities between 0 and 1")
        elif self.accept + self.decline + self.opt_out > 1:
            problems.append("--accept + --decline + --opt-out cannot exceed 1")
        if self.reply_distribution not in ("lognormal", "exponential", "fixed"):
            problems.append("--reply-distribution is lognormal, exponential or fixed")
        if self.reply_median_minutes <= 0 or self.reply_sigma < 0:
            problems.append("--reply-median must be positive and --reply-sigma not negative")
        if not 1 <= self.patients <= 10_000 * len(AREA_CODES):
            problems.append(f"--patients is 1 to {10_000 * len(AREA_CODES)}")
        if self.days < 1 or self.per_day < 0 or self.locations < 1 or self.providers < 1:
            problems.append("--days, --locations and --providers must be at least 1, --per-day at least 0")
        if self.max_lead_days < 2:
            problems.append("--max-lead-days must be at least 2")
        if self.same_day_share < 0 or self.next_day_share < 0 or self.same_day_share + self.next_day_share > 1:
            problems.append("--same-day + --next-day must be between 0 and 1")
        for name in ("preferences", "current_appointments", "shared_phones"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"--{name.replace('_', '-')} is a share between 0 and 1")
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"--time-zone {self.time_zone!r} is not a time zone name")
        if problems:
            raise ValidationError(problems)


@dataclass(frozen=True)
class Policy:
    """A wave policy: engine settings plus how often its timer looks for ended holds.

    `adaptive` leaves OFFER_MIN_HOLD_MINUTES and OFFER_MAX_BATCH_SIZE at their settings, so waves
    grow and holds shrink near the cutoff (offers/policy.py); a fixed policy pins both to its own
    batch and hold. None for batch or hold means "the configured setting"."""

    name: str
    label: str
    batch: int | None
    hold_minutes: int | None
    adaptive: bool
    timer_seconds: float

    def engine_settings(self) -> dict:
        batch = self.batch if self.batch is not None else settings.OFFER_BATCH_SIZE
        hold = self.hold_minutes if self.hold_minutes is not None else settings.OFFER_HOLD_MINUTES
        values = {"OFFER_BATCH_SIZE": batch, "OFFER_HOLD_MINUTES": hold}
        if not self.adaptive:
            values.update(OFFER_MIN_HOLD_MINUTES=hold, OFFER_MAX_BATCH_SIZE=batch)
        return values

    def describe(self) -> dict:
        with override_settings(**self.engine_settings()):
            return {
                "batch": settings.OFFER_BATCH_SIZE,
                "hold_minutes": settings.OFFER_HOLD_MINUTES,
                "min_hold_minutes": settings.OFFER_MIN_HOLD_MINUTES,
                "max_batch": settings.OFFER_MAX_BATCH_SIZE,
                "adaptive": self.adaptive,
                "timer_seconds": self.timer_seconds,
                "expiry_grace_seconds": settings.OFFER_EXPIRY_GRACE_SECONDS,
                "cutoff_minutes": settings.OFFER_CUTOFF_MINUTES,
                "cap_per_day": settings.OFFER_CAP_PER_DAY,
                "cap_per_week": settings.OFFER_CAP_PER_WEEK,
                "cooldown_minutes": settings.OFFER_COOLDOWN_MINUTES,
            }


def default_policies(
    *,
    reference_batch: int = 3,
    reference_hold: int = 7,
    reference_timer: float = 30.0,
    nexhealth_batch: int = 10,
    nexhealth_hold: int = 5,
    ours_batch: int | None = None,
    ours_hold: int | None = None,
) -> dict[str, Policy]:
    return {
        "reference": Policy(
            "reference", f"Reference ({reference_batch}/wave, {reference_hold} min, timer {reference_timer:g} s)",
            reference_batch, reference_hold, adaptive=False, timer_seconds=reference_timer,
        ),
        "nexhealth": Policy(
            "nexhealth", f"NexHealth pattern ({nexhealth_batch} every {nexhealth_hold} min)",
            nexhealth_batch, nexhealth_hold, adaptive=False, timer_seconds=settings.TIMER_TICK_SECONDS,
        ),
        "ours": Policy(
            "ours",
            f"Ours (adaptive, {ours_batch or settings.OFFER_BATCH_SIZE}/wave, {ours_hold or settings.OFFER_HOLD_MINUTES} min)",
            ours_batch, ours_hold, adaptive=True, timer_seconds=settings.TIMER_TICK_SECONDS,
        ),
    }


# --- the world (pure Python, from the seed) -------------------------------------------------------------


@dataclass
class LocationSpec:
    key: str
    name: str
    sms_name: str


@dataclass
class ProviderSpec:
    key: str
    name: str
    sms_name: str
    kind: str
    locations: list[int]
    types: list[int]


@dataclass
class EntrySpec:
    key: str
    type: int
    urgent: bool
    joined_at: dt.datetime
    current_appointment_at: dt.datetime | None
    current_provider: int | None
    current_location: int | None
    ready_from: dt.date | None
    providers: list[int]
    locations: list[int]
    kinds_mask: int
    weekdays_mask: int
    earliest: dt.time | None
    latest: dt.time | None
    min_notice_hours: int


@dataclass
class PatientSpec:
    key: str
    phone: int
    language: str
    relationship: str
    entry: EntrySpec


@dataclass
class SlotSpec:
    key: str
    logged_at: dt.datetime
    provider: int
    location: int
    type: int
    start_at: dt.datetime
    duration: int


@dataclass
class World:
    config: SimConfig
    start: dt.datetime
    locations: list[LocationSpec]
    providers: list[ProviderSpec]
    patients: list[PatientSpec]
    phones: list[str]
    slots: list[SlotSpec]


def phone_e164(index: int) -> str:
    return f"+1{AREA_CODES[index // 10_000]}555{index % 10_000:04d}"


def _business_day(day: dt.date) -> bool:
    return day.weekday() < 5


def world_build(config: SimConfig) -> World:
    """The simulated clinic, entirely from the seed (no database)."""
    config.check()
    rng = random.Random(f"world:{config.seed}")
    tz = zoneinfo.ZoneInfo(config.time_zone)
    start_local = dt.datetime.combine(config.start, dt.time(0), tzinfo=tz)
    start = start_local.astimezone(dt.UTC)
    pref = config.preferences

    locations = [
        LocationSpec(f"{PREFIX}L{i + 1}", f"Sim Clinic {chr(65 + i % 26)}{i // 26 or ''}", f"Sim {chr(65 + i % 26)}{i // 26 or ''}")
        for i in range(config.locations)
    ]
    providers = []
    for i in range(config.providers):
        kind = rng.choices(("MD", "NP", "PA"), weights=(0.6, 0.25, 0.15))[0]
        locs = [i % config.locations]
        if config.locations > 1 and rng.random() < 0.2:
            locs.append(rng.choice([x for x in range(config.locations) if x != locs[0]]))
        types = [0] + [t for t, share in ((1, 0.6), (2, 0.3)) if rng.random() < share]
        providers.append(ProviderSpec(f"{PREFIX}D{i + 1}", f"Dr. Sim {i + 1}", f"Dr Sim{i + 1}", kind, locs, types))
    for t in range(1, len(APPOINTMENT_TYPES)):
        # every type is offered by someone
        if not any(t in p.types for p in providers):
            providers[t % len(providers)].types.append(t)
    by_type = {t: [i for i, p in enumerate(providers) if t in p.types] for t in range(len(APPOINTMENT_TYPES))}

    patients: list[PatientSpec] = []
    phones: list[str] = []
    type_weights = [share for *_, share in APPOINTMENT_TYPES]
    for i in range(config.patients):
        shares_phone = i > 0 and rng.random() < config.shared_phones and patients[-1].relationship == "self"
        if shares_phone:
            phone = patients[-1].phone
            patients[-1].relationship = "guardian"
        else:
            phone = len(phones)
            phones.append(phone_e164(phone))
        t = rng.choices(range(len(APPOINTMENT_TYPES)), weights=type_weights)[0]
        current_at = current_provider = current_location = None
        if rng.random() < config.current_appointments:
            day = config.start + dt.timedelta(days=rng.randint(2, 120))
            while not _business_day(day):
                day += dt.timedelta(days=1)
            local = dt.datetime.combine(day, dt.time(rng.randint(8, 16), rng.choice((0, 20, 40))), tzinfo=tz)
            current_at = local.astimezone(dt.UTC)
            current_provider = rng.choice(by_type[t])
            current_location = rng.choice(providers[current_provider].locations)
        prefs_providers = []
        if rng.random() < 0.20 * pref:
            prefs_providers = sorted(rng.sample(by_type[t], min(len(by_type[t]), rng.randint(1, 2))))
        prefs_locations = []
        if config.locations > 1 and rng.random() < 0.25 * pref:
            prefs_locations = [rng.randrange(config.locations)]
        kinds_mask = KIND_BITS["MD"] if rng.random() < 0.05 * pref else 0
        weekdays_mask = 0
        if rng.random() < 0.20 * pref:
            for d in rng.sample(range(5), rng.randint(2, 4)):
                weekdays_mask |= 1 << d
        earliest = latest = None
        if rng.random() < 0.25 * pref:
            earliest, latest = rng.choice(((dt.time(8), dt.time(12)), (dt.time(12), dt.time(17))))
        notice = rng.choices((4, 24, 48), weights=(0.5, 0.3, 0.2))[0] if rng.random() < 0.5 * pref else 0
        ready_from = None
        if rng.random() < 0.05 * pref:
            ready_from = config.start + dt.timedelta(days=rng.randint(1, 14))
        joined = start - dt.timedelta(days=rng.uniform(1, 240))
        entry = EntrySpec(
            key=f"{PREFIX}E{i + 1:06d}", type=t, urgent=rng.random() < 0.04,
            joined_at=joined.replace(microsecond=0), current_appointment_at=current_at,
            current_provider=current_provider, current_location=current_location, ready_from=ready_from,
            providers=prefs_providers, locations=prefs_locations, kinds_mask=kinds_mask, weekdays_mask=weekdays_mask,
            earliest=earliest, latest=latest, min_notice_hours=notice,
        )
        language = "es" if rng.random() < 0.15 else "en"
        patients.append(PatientSpec(f"{PREFIX}P{i + 1:06d}", phone, language, "self", entry))

    slots = _slots_build(config, rng, tz, providers)
    return World(config, start, locations, providers, patients, phones, slots)


def _slots_build(config: SimConfig, rng: random.Random, tz, providers: list[ProviderSpec]) -> list[SlotSpec]:
    window_opens = settings.SENDING_HOURS[0]
    cutoff = dt.timedelta(minutes=settings.OFFER_CUTOFF_MINUTES)
    cells_per_day = int((dt.datetime.combine(config.start, CLINIC_CLOSES) - dt.datetime.combine(config.start, CLINIC_OPENS)) / CELL)
    busy: set[tuple[int, dt.date, int]] = set()
    slots: list[SlotSpec] = []

    def free_cells(p: int, day: dt.date, need: int, earliest_local: dt.datetime | None) -> list[int]:
        out = []
        for cell in range(cells_per_day - need + 1):
            begins = dt.datetime.combine(day, CLINIC_OPENS, tzinfo=tz) + cell * CELL
            if earliest_local is not None and begins < earliest_local:
                continue
            if all((p, day, cell + k) not in busy for k in range(need)):
                out.append(cell)
        return out

    def next_business_day(day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while not _business_day(day):
            day += dt.timedelta(days=1)
        return day

    for d in range(config.days):
        day = config.start + dt.timedelta(days=d)
        for _ in range(config.per_day):
            logging_opens = dt.datetime.combine(day, dt.time(7), tzinfo=tz)
            logged_local = logging_opens + dt.timedelta(seconds=rng.randrange(12 * 3600))
            # The lead time is drawn once per cancellation: drawn again on each failed placement,
            # a same-day draw that did not fit (logged late in the day) mostly came back as a later
            # one, and the world had about half the documented share of same-day slots. With no
            # clinic that day a cancellation is for a later one, in those kinds' own proportions.
            r = rng.random()
            if r < config.same_day_share and not _business_day(day):
                r = config.same_day_share + rng.random() * (1 - config.same_day_share)
            for attempt in range(200):
                p = rng.randrange(len(providers))
                prov = providers[p]
                loc = rng.choice(prov.locations)
                t = rng.choice(prov.types)
                minutes = APPOINTMENT_TYPES[t][2]
                need = math.ceil(dt.timedelta(minutes=minutes) / CELL)
                earliest = None
                if r < config.same_day_share:
                    if attempt and attempt % 10 == 0:
                        # logged too late for any same-day slot left: a same-day cancellation is
                        # one phoned in earlier that day
                        since_opening = int((logged_local - logging_opens).total_seconds())
                        logged_local = logging_opens + dt.timedelta(seconds=rng.randrange(since_opening + 1))
                    target = day
                    opens = max(logged_local, dt.datetime.combine(day, window_opens, tzinfo=tz))
                    earliest = opens + cutoff + SAME_DAY_MARGIN
                elif r < config.same_day_share + config.next_day_share:
                    target = next_business_day(day)
                else:
                    later = [day + dt.timedelta(days=k) for k in range(2, config.max_lead_days + 1)]
                    target = rng.choice([x for x in later if _business_day(x)])
                cells = free_cells(p, target, need, earliest)
                if not cells:
                    continue
                cell = rng.choice(cells)
                for k in range(need):
                    busy.add((p, target, cell + k))
                begins = dt.datetime.combine(target, CLINIC_OPENS, tzinfo=tz) + cell * CELL
                slots.append(SlotSpec(
                    key=f"{PREFIX}C{len(slots) + 1:06d}", logged_at=logged_local.astimezone(dt.UTC),
                    provider=p, location=loc, type=t, start_at=begins.astimezone(dt.UTC), duration=minutes,
                ))
                break
            else:
                raise SimulationError("no free slot found: too many cancellations a day for so few providers")
    slots.sort(key=lambda s: (s.logged_at, s.key))
    return slots


# --- the world in the database (bulk: no decision is involved) ---------------------------------------


@dataclass
class Materialized:
    location_ids: list[int]
    provider_ids: list[int]
    type_ids: list[int]


def world_materialize(world: World) -> Materialized:
    """Create the world's rows in the current (empty) database. Audit rows and welcome texts are
    skipped: they belong to staff actions, not to the fill being measured."""
    cfg = world.config
    types = []
    for code, name, minutes, _share in APPOINTMENT_TYPES:
        atype, _ = AppointmentType.objects.get_or_create(code=code, defaults={"name": name, "default_minutes": minutes})
        types.append(atype.pk)
    locations = Location.objects.bulk_create(
        [Location(name=s.name, sms_name=s.sms_name, time_zone=cfg.time_zone, address="1 Simulated Way", external_id=s.key)
         for s in world.locations]
    )
    location_ids = [x.pk for x in locations]
    providers = Provider.objects.bulk_create(
        [Provider(name=s.name, sms_name=s.sms_name, kind=s.kind, external_id=s.key) for s in world.providers]
    )
    provider_ids = [x.pk for x in providers]
    Provider.locations.through.objects.bulk_create([
        Provider.locations.through(provider_id=provider_ids[i], location_id=location_ids[loc])
        for i, s in enumerate(world.providers) for loc in s.locations
    ])
    Provider.appointment_types.through.objects.bulk_create([
        Provider.appointment_types.through(provider_id=provider_ids[i], appointmenttype_id=types[t])
        for i, s in enumerate(world.providers) for t in s.types
    ])
    consent_at = world.start - dt.timedelta(days=30)
    phones = PhoneNumber.objects.bulk_create(
        [PhoneNumber(e164=e164, consent_at=consent_at, consent_source="written", consent_recorded_by=STAFF.label,
                     consent_disclosure_version=messaging.DISCLOSURE_VERSION, welcomed_at=consent_at)
         for e164 in world.phones],
        batch_size=2000,
    )
    phone_ids = [x.pk for x in phones]
    patients = Patient.objects.bulk_create(
        [Patient(first_name="Sim", last_name=f"Patient {i + 1}", phone_id=phone_ids[s.phone], relationship=s.relationship,
                 language=s.language, external_id=s.key)
         for i, s in enumerate(world.patients)],
        batch_size=2000,
    )
    entries = WaitlistEntry.objects.bulk_create(
        [WaitlistEntry(
            patient_id=patients[i].pk, appointment_type_id=types[e.type], urgent=e.urgent, joined_at=e.joined_at,
            current_appointment_at=e.current_appointment_at,
            current_appointment_provider_id=provider_ids[e.current_provider] if e.current_provider is not None else None,
            current_appointment_location_id=location_ids[e.current_location] if e.current_location is not None else None,
            ready_from=e.ready_from, provider_kinds_mask=e.kinds_mask, weekdays_mask=e.weekdays_mask,
            earliest_time=e.earliest, latest_time=e.latest, min_notice_hours=e.min_notice_hours,
            has_provider_prefs=bool(e.providers), has_location_prefs=bool(e.locations),
            last_activity_at=world.start, external_id=e.key,
        ) for i, e in enumerate(s.entry for s in world.patients)],
        batch_size=2000,
    )
    WaitlistEntry.providers.through.objects.bulk_create(
        [WaitlistEntry.providers.through(waitlistentry_id=entries[i].pk, provider_id=provider_ids[p])
         for i, s in enumerate(world.patients) for p in s.entry.providers],
        batch_size=2000,
    )
    WaitlistEntry.locations.through.objects.bulk_create(
        [WaitlistEntry.locations.through(waitlistentry_id=entries[i].pk, location_id=location_ids[loc])
         for i, s in enumerate(world.patients) for loc in s.entry.locations],
        batch_size=2000,
    )
    return Materialized(location_ids, provider_ids, types)


@dataclass(frozen=True)
class SlotEvent:
    """A slot staff will log at `logged_at` (ids of rows in the current database)."""

    key: str
    logged_at: dt.datetime
    provider_id: int
    location_id: int
    appointment_type_id: int
    start_at: dt.datetime
    duration_minutes: int


def slot_events(world: World, rows: Materialized) -> list[SlotEvent]:
    return [
        SlotEvent(s.key, s.logged_at, rows.provider_ids[s.provider], rows.location_ids[s.location], rows.type_ids[s.type],
                  s.start_at, s.duration)
        for s in world.slots
    ]


# --- simulated patients ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferSeen:
    """An offer the engine made, as the simulator learns of it (read back from the database)."""

    offer_id: int
    wave: int
    sent_at: dt.datetime
    expires_at: dt.datetime
    patient_key: str
    slot_key: str
    phone: str
    language: str


@dataclass(frozen=True)
class Reply:
    intent: str  # accept | decline | opt_out
    body: str
    delay: dt.timedelta


class Responder:
    """Decides how a simulated patient answers an offer (None: never)."""

    def respond(self, offer: OfferSeen) -> Reply | None:
        return None


class RandomPatients(Responder):
    """Accept with p, decline with q, opt out with r, otherwise never answer; the answer and its delay
    depend only on (seed, patient, slot), so every policy meets the same patient behaviour."""

    def __init__(self, config: SimConfig):
        self.config = config

    def delay(self, rng: random.Random) -> dt.timedelta:
        c = self.config
        if c.reply_distribution == "fixed":
            minutes = c.reply_median_minutes
        elif c.reply_distribution == "exponential":
            minutes = rng.expovariate(math.log(2) / c.reply_median_minutes)
        else:
            minutes = c.reply_median_minutes * math.exp(c.reply_sigma * rng.gauss(0.0, 1.0))
        # whole seconds, as carriers stamp them; a person needs a few seconds at least
        return dt.timedelta(seconds=max(5, round(minutes * 60)))

    def respond(self, offer: OfferSeen) -> Reply | None:
        c = self.config
        rng = random.Random(f"reply:{c.seed}:{offer.patient_key}:{offer.slot_key}")
        u = rng.random()
        if u < c.opt_out:
            intent = "opt_out"
        elif u < c.opt_out + c.accept:
            intent = "accept"
        elif u < c.opt_out + c.accept + c.decline:
            intent = "decline"
        else:
            return None
        language = offer.language if (intent, offer.language) in REPLY_BODIES else "en"
        body = rng.choice(REPLY_BODIES[(intent, language)])
        return Reply(intent, body, self.delay(rng))


class SimBackend:
    """Counts texts; plays no provider (delivery callbacks would only add rows)."""

    name = "simulation"
    plays_provider = False

    def __init__(self):
        self.sent = 0

    def send(self, sms: backends.OutgoingSms) -> backends.SendResult:
        self.sent += 1
        return backends.SendResult(ok=True, sid=f"SMsim{self.sent:027d}", status="")


# --- the event loop --------------------------------------------------------------------------------------


@dataclass
class RunStats:
    events: int = 0
    ticks: int = 0
    replies: int = 0
    rejected_slots: int = 0
    rejections: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    engine_seconds: Counter = field(default_factory=Counter)
    queries: Counter = field(default_factory=Counter)


def _sim_settings(policy: Policy) -> dict:
    return {
        **policy.engine_settings(),
        "TASKS_EAGER": True,
        # a development .env turns DEBUG on; its cursor wrapper records every query
        "DEBUG": False,
        # The simulation's days pass in real seconds; django-ratelimit counts in real time, so its
        # auto-reply limits would throttle replies no real patient could trigger. A private cache
        # also keeps simulated counts out of the shared Redis.
        "AUTO_REPLY_RATE_PER_NUMBER": "1000000/s",
        "AUTO_REPLY_RATE_GLOBAL": "1000000/s",
        "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "simulation"}},
        "RATELIMIT_USE_CACHE": "default",
    }


@contextmanager
def _backend(backend) -> Iterator[None]:
    previous = backends._override  # the test suite's recording backend, if any
    backends.set_backend(backend)
    try:
        yield
    finally:
        backends.set_backend(previous)


@contextmanager
def _quiet(level: int = logging.WARNING) -> Iterator[None]:
    names = ("messaging", "offers", "waitlist", "core", "clinicbot")
    saved = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(level)
    try:
        yield
    finally:
        for n, lv in saved.items():
            logging.getLogger(n).setLevel(lv)


class Simulation:
    """One policy over one list of slots, in the current database."""

    def __init__(
        self,
        *,
        policy: Policy,
        slots: list[SlotEvent],
        responder: Responder,
        start: dt.datetime,
        refresh_priorities: bool = True,
        progress: Callable[[str], None] | None = None,
        scripted_replies: list[tuple[dt.datetime, str, str]] = (),
    ):
        self.policy = policy
        self.scripted_replies = list(scripted_replies)
        self.slots = slots
        self.responder = responder
        self.start = start
        self.refresh_priorities = refresh_priorities
        self.progress = progress
        self.tick = dt.timedelta(seconds=policy.timer_seconds)
        self.stats = RunStats()
        self.heap: list[tuple] = []
        self.seq = 0
        self.last_offer = 0
        self.replies_sent = 0
        self.refreshed_on: dt.date | None = None
        self._objects: dict = {}
        self._current: str | None = None

    def push(self, at: dt.datetime, kind: str, payload) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, kind, payload))

    def run(self) -> RunStats:
        if self.tick <= dt.timedelta(0):
            raise SimulationError("a policy's timer must tick at a positive interval")
        started, cpu = time.perf_counter(), time.process_time()
        self._started = started
        backend = SimBackend()
        with override_settings(**_sim_settings(self.policy)), _backend(backend), clock.frozen(self.start) as vclock, _quiet():
            self.clock = vclock
            for slot in self.slots:
                self.push(slot.logged_at, "slot", slot)
            for at, phone, body in self.scripted_replies:
                # texts at fixed times, whatever was offered (scripted scenarios)
                self.push(at, "reply", (phone, body))
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(self._count_query):
                self._loop()
        self.stats.seconds = time.perf_counter() - started
        # this process's CPU time: the cost of a run on a shared, busy machine
        self.stats.cpu_seconds = time.process_time() - cpu
        return self.stats

    def _loop(self) -> None:
        last_tick: dt.datetime | None = None
        idle_ticks = 0
        total_slots = len(self.slots) or 1
        logged = 0
        next_report = 0.1
        while True:
            t_ext = self.heap[0][0] if self.heap else None
            t_timer = self._next_tick(last_tick)
            if t_timer is None and t_ext is None:
                return
            if t_timer is not None and (t_ext is None or t_timer <= t_ext):
                self._at(t_timer)
                done = self._timed("engine_tick", services.engine_tick)
                self.stats.ticks += 1
                idle_ticks = 0 if (done["expired"] or done["waves"]) else idle_ticks + 1
                if idle_ticks > 10_000:
                    raise SimulationError(f"the engine stopped progressing at {t_timer:%Y-%m-%d %H:%M:%S}")
                last_tick = t_timer
            else:
                at, _seq, kind, payload = heapq.heappop(self.heap)
                self._at(at)
                self.stats.events += 1
                if kind == "slot":
                    self._log_slot(payload)
                    logged += 1
                    if self.progress and logged / total_slots >= next_report:
                        self.progress(f"{self.policy.name}: {logged}/{total_slots} slots logged, "
                                      f"{time.perf_counter() - self._started:.0f} s")
                        next_report += 0.1
                else:
                    self._reply(*payload)
            self._learn_offers()

    def _at(self, at: dt.datetime) -> None:
        if at > self.clock.current:
            self.clock.set(at)
        today = self.clock.current.astimezone(default_window().tz).date()
        if self.refresh_priorities and today != self.refreshed_on:
            # as the timer process does at the clinic's midnight (offers/management/commands/run_timer.py)
            self._timed("priorities_refresh", priorities_refresh)
            self.refreshed_on = today

    def _timed(self, name: str, fn, *args, **kwargs):
        outer, self._current = self._current, name
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self._current = outer
            if outer is None:
                self.stats.engine_seconds[name] += time.perf_counter() - t0

    def _count_query(self, execute, sql, params, many, context):
        self.stats.queries[self._current or "simulator"] += 1
        return execute(sql, params, many, context)

    def _next_tick(self, last_tick: dt.datetime | None) -> dt.datetime | None:
        """When the policy's timer next finds work: the first hold past its grace or due wave,
        rounded up to the timer's tick."""
        due = timer_next_due()  # what the live timer sleeps until
        if due is None:
            return None
        due = max(due, self.clock.current)
        tick_us = self.tick // dt.timedelta(microseconds=1)
        offset = (due - self.start) // dt.timedelta(microseconds=1)
        at = self.start + dt.timedelta(microseconds=-(-offset // tick_us) * tick_us)
        if last_tick is not None and at <= last_tick:
            at = last_tick + self.tick
        return at

    def _object(self, model, pk: int):
        key = (model, pk)
        if key not in self._objects:
            self._objects[key] = model.objects.get(pk=pk)
        return self._objects[key]

    def _log_slot(self, slot: SlotEvent) -> None:
        try:
            self._timed(
                "cancellation_create",
                services.cancellation_create,
                actor=STAFF,
                provider=self._object(Provider, slot.provider_id),
                location=self._object(Location, slot.location_id),
                appointment_type=self._object(AppointmentType, slot.appointment_type_id),
                start_at=slot.start_at,
                duration_minutes=slot.duration_minutes,
                reason="simulated cancellation",
                external_id=slot.key,
            )
        except ValidationError as exc:
            self.stats.rejected_slots += 1
            self.stats.rejections.update(exc.messages)

    def _reply(self, phone: str, body: str) -> None:
        self.replies_sent += 1
        self.stats.replies += 1
        params = {"MessageSid": f"SMsimin{self.replies_sent:025d}", "From": phone, "To": "+13125550100", "Body": body}
        message, created = self._timed("inbound_record", messaging.inbound_record, params=params)
        if created:
            self._timed("inbound_process", messaging.inbound_process, message_id=message.pk)

    def _learn_offers(self) -> None:
        rows = _NEW_OFFERS.all(after=self.last_offer)
        for pk, wave, sent_at, expires_at, pkey, pid, ckey, cid, phone, language in rows:
            self.last_offer = pk
            seen = OfferSeen(pk, wave, sent_at, expires_at, pkey or f"patient-{pid}", ckey or f"slot-{cid}", phone, language)
            reply = self.responder.respond(seen)
            if reply is not None:
                self.push(sent_at + reply.delay, "reply", (phone, reply.body))


# what the simulator reads after every event (core/prepared.py)
_NEW_OFFERS = Prepared(
    lambda p: Offer.objects.filter(pk__gt=p.after)
    .order_by("pk")
    .values_list("pk", "wave", "sent_at", "expires_at", "patient__external_id", "patient_id",
                 "cancellation__external_id", "cancellation_id", "phone__e164", "patient__language")
)


# --- figures ------------------------------------------------------------------------------------------------

CDF_MINUTES = sorted({round(10 ** (k / 12)) for k in range(0, 55)})  # 1 minute to ~4 weeks, log-spaced


def _quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _max_in_window(rows, window: dt.timedelta) -> int:
    """Most rows of one key inside any window, rows sorted by (key, time)."""
    best = 0
    key = None
    times: list[dt.datetime] = []
    for k, at in rows:
        if k != key:
            key, times = k, []
        times.append(at)
        first = bisect.bisect_left(times, at - window + dt.timedelta(microseconds=1))
        best = max(best, len(times) - first)
    return best


def _r(x, nd=4):
    return None if x is None else round(x, nd)


def policy_figures(*, start: dt.datetime, tz: str) -> dict:
    """The table's figures and the chart's series, read from the current database after a run."""
    zone = zoneinfo.ZoneInfo(tz)
    start_day = start.astimezone(zone).date()
    slots = list(
        Cancellation.objects.filter(external_id__startswith=PREFIX).values_list(
            "status", "end_reason", "created_at", "filled_at", "filled_offer__wave"
        )
    )
    if not slots:
        slots = list(Cancellation.objects.values_list("status", "end_reason", "created_at", "filled_at", "filled_offer__wave"))
    total = len(slots)
    filled = [(c, f, w) for s, _r_, c, f, w in slots if s == Cancellation.Status.FILLED]
    minutes = sorted((f - c).total_seconds() / 60 for c, f, _w in filled)
    n_filled = len(filled)
    offers = Offer.objects.count()
    accepted = Offer.objects.filter(status=Offer.Status.ACCEPTED).count()
    sent = Message.objects.filter(direction=Message.Direction.OUTBOUND, send_state=Message.SendState.SENT)
    texts = sent.count()
    offer_texts = sent.filter(kind="offer").count()
    max_week = _max_in_window(sent.order_by("phone_id", "created_at", "pk").values_list("phone_id", "created_at"),
                              dt.timedelta(days=7))
    reasons = Counter(reason for status, reason, *_ in slots if status == Cancellation.Status.UNFILLED)
    days = Counter((c.astimezone(zone).date() - start_day).days for _s, _e, c, _f, _w in slots)
    fills = Counter((f.astimezone(zone).date() - start_day).days for _c, f, _w in filled)
    horizon = max([*days, *fills, 0]) + 1

    def per(x, n):
        return _r(x / n) if n else None

    return {
        "metrics": {
            "cancellations": total,
            "filled": n_filled,
            "fill_rate": per(n_filled, total),
            "filled_within_2h_rate": per(sum(1 for m in minutes if m <= 120), total),
            "median_minutes_to_fill": _r(_quantile(minutes, 0.5), 1),
            "p90_minutes_to_fill": _r(_quantile(minutes, 0.9), 1),
            "filled_in_first_wave": sum(1 for *_, w in filled if w == 1),
            "offers": offers,
            "offers_per_fill": per(offers, n_filled),
            "offers_per_slot": per(offers, total),
            "accepted_share_of_offers": per(accepted, offers),
            "texts": texts,
            "offer_texts": offer_texts,
            "texts_per_fill": per(texts, n_filled),
            "max_texts_one_number_7_days": max_week,
            "opt_outs": PhoneNumber.objects.filter(opted_out=True).count(),
            "lost_to_cutoff": reasons.get(Cancellation.EndReason.CUTOFF, 0),
            "exhausted": reasons.get(Cancellation.EndReason.EXHAUSTED, 0),
            "still_open": sum(1 for s, *_ in slots if s in Cancellation.ACTIVE),
        },
        "series": {
            "logged_per_day": [days.get(d, 0) for d in range(horizon)],
            "fills_per_day": [fills.get(d, 0) for d in range(horizon)],
            "filled_within_minutes": [[m, per(bisect.bisect_right(minutes, m), total)] for m in CDF_MINUTES],
        },
    }


# --- running policies --------------------------------------------------------------------------------------


def world_prepare(world: World) -> Materialized:
    """The world's rows in the current, empty database, with priorities from the real scoring."""
    with clock.frozen(world.start):
        rows = world_materialize(world)
        priorities_refresh()
    return rows


def policy_run(
    *, world: World, policy: Policy, rows: Materialized | None = None, responder: Responder | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run one policy over the world (built here unless `rows` says it is already in the current
    database) and read the figures."""
    t0 = time.perf_counter()
    if rows is None:
        rows = world_prepare(world)
    built = time.perf_counter() - t0
    sim = Simulation(
        policy=policy, slots=slot_events(world, rows), responder=responder or RandomPatients(world.config),
        start=world.start, refresh_priorities=world.config.refresh_priorities, progress=progress,
    )
    stats = sim.run()
    if progress:
        progress(f"{policy.name}: {len(sim.slots)} slots, {stats.replies} replies, {stats.ticks} timer ticks "
                 f"in {stats.seconds:.0f} s ({stats.cpu_seconds:.0f} s CPU)")
    t1 = time.perf_counter()
    figures = policy_figures(start=world.start, tz=world.config.time_zone)
    return {
        "name": policy.name,
        "label": policy.label,
        "parameters": policy.describe(),
        **figures,
        "run": {
            "world_seconds": round(built, 2),
            "simulate_seconds": round(stats.seconds, 2),
            "simulate_cpu_seconds": round(stats.cpu_seconds, 2),
            "figures_seconds": round(time.perf_counter() - t1, 2),
            "events": stats.events,
            "timer_ticks": stats.ticks,
            "replies": stats.replies,
            "rejected_slots": stats.rejected_slots,
            "rejections": dict(stats.rejections.most_common(5)),
            "service_seconds": {k: round(v, 2) for k, v in sorted(stats.engine_seconds.items())},
            "queries": dict(sorted(stats.queries.items())),
        },
    }


def database_flush() -> None:
    """Empty every table (sequences restart, so a rebuilt world gets the same ids). The simulator
    needs no permissions or content types, so Django's post-migrate rebuild of them is skipped."""
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)


def simulate_here(
    *, world: World, policies: list[Policy], responder: Responder | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[dict]:
    """Every policy on the current database, flushed before each (tests; --database-url)."""
    results = []
    for policy in policies:
        database_flush()
        results.append(policy_run(world=world, policy=policy, responder=responder, progress=progress))
    return results


# --- the scratch database ------------------------------------------------------------------------------------


def _same_database(a: dict, b: dict) -> bool:
    # Django's SQLite backend and core.sqlite open the same files
    a, b = ({**d, "ENGINE": sqlite.engine(str(d.get("ENGINE") or ""))} for d in (a, b))
    keys = ("ENGINE", "NAME", "HOST", "PORT")
    return all(str(a.get(k) or "") == str(b.get(k) or "") for k in keys)


# the scratch file's page cache (64 MiB) and memory map (up to 1 GiB, shared with the OS page cache)
SCRATCH_CACHE_KIB = 65536
SCRATCH_MMAP_BYTES = 1 << 30


def sqlite_scratch_settings(path: Path) -> dict:
    return {
        "ENGINE": sqlite.ENGINE,
        "NAME": str(path),
        # A throwaway file: durability buys nothing here. These settings replace the configured
        # database's, so the page cache must be set here too: with SQLite's default 2 MiB a large
        # world's waitlist was re-read from the OS on every pick (docs/SIMULATION.md, Performance).
        "OPTIONS": {"init_command": "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; PRAGMA temp_store=MEMORY; "
                                    f"PRAGMA cache_size=-{SCRATCH_CACHE_KIB}; PRAGMA mmap_size={SCRATCH_MMAP_BYTES};"},
    }


def url_scratch_settings(url: str) -> dict:
    import environ

    try:
        cfg = environ.Env.db_url_config(url)
    except Exception as exc:  # noqa: BLE001 - any parse error is the user's input
        raise ImproperlyConfigured(f"--database-url: cannot parse it ({exc.__class__.__name__})") from None
    cfg["ENGINE"] = sqlite.engine(cfg["ENGINE"])
    name = Path(str(cfg.get("NAME", ""))).name
    if "sim" not in name.lower():
        # the simulator empties this database: a name that says so guards against pointing it at a real one
        raise ImproperlyConfigured(f"--database-url: the database name must contain 'sim' (it is emptied), got {name!r}")
    return cfg


@contextmanager
def database_swapped(db_settings: dict) -> Iterator[None]:
    """Point the default connection at another database for the block, then put the original
    connection back untouched (it is never closed or used meanwhile)."""
    current = connections.settings[DEFAULT_DB_ALIAS]
    if _same_database(current, db_settings):
        raise ImproperlyConfigured("the simulation database must not be the configured database")
    previous = connections[DEFAULT_DB_ALIAS]
    connections.settings[DEFAULT_DB_ALIAS] = connections.configure_settings({DEFAULT_DB_ALIAS: dict(db_settings)})[
        DEFAULT_DB_ALIAS
    ]
    del connections[DEFAULT_DB_ALIAS]
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connections.settings[DEFAULT_DB_ALIAS] = current
        connections[DEFAULT_DB_ALIAS] = previous


def _migrate() -> None:
    call_command("migrate", interactive=False, verbosity=0)


def _worker_init() -> None:
    # a forked worker inherits the caller's signal handlers (run_timer's SIGTERM handler only sets
    # a flag): restore the defaults so the pool can always stop its workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stderr_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _policy_in_file(args) -> dict:
    """One policy on its own copy of the template file (also the body of a worker process)."""
    world, rows, policy, template, workdir, progress = args
    path = Path(workdir) / f"{policy.name}.sqlite3"
    shutil.copyfile(template, path)
    with database_swapped(sqlite_scratch_settings(path)):
        return policy_run(world=world, policy=policy, rows=rows, progress=progress)


def simulate(
    *,
    world: World,
    policies: list[Policy],
    database_url: str | None = None,
    jobs: int = 1,
    keep_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict], str]:
    """Run the policies on scratch databases, never the configured one. Returns the per-policy
    results and a description of the database used.

    Default: the world is built once in a freshly migrated SQLite template file, and each policy
    runs on its own copy of it (in parallel processes with jobs > 1). With `database_url`, each
    policy runs on that database after a flush."""
    if database_url:
        with database_swapped(url_scratch_settings(database_url)):
            _migrate()
            vendor = connections[DEFAULT_DB_ALIAS].vendor
            return simulate_here(world=world, policies=policies, progress=progress), f"{vendor} ({database_url.split('@')[-1]})"
    workdir = Path(keep_dir) if keep_dir else Path(tempfile.mkdtemp(prefix="clinicbot-sim-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        template = workdir / "template.sqlite3"
        template.unlink(missing_ok=True)
        t0 = time.perf_counter()
        with database_swapped(sqlite_scratch_settings(template)):
            _migrate()
            rows = world_prepare(world)
        if progress:
            progress(f"world built in {time.perf_counter() - t0:.1f} s")
        args = [(world, rows, p, template, workdir, progress) for p in policies]
        if jobs > 1 and len(policies) > 1:
            import multiprocessing

            # a forked child must not share the parent's open database connections
            connections.close_all()
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(min(jobs, len(policies)), initializer=_worker_init) as pool:
                # a worker reports to the inherited stderr (the caller's callback cannot be pickled)
                report = _stderr_progress if progress else None
                results = pool.map(_policy_in_file, [(*a[:5], report) for a in args])
                pool.close()
                pool.join()
        else:
            results = [_policy_in_file(a) for a in args]
        where = f"sqlite (scratch files in {workdir})" if keep_dir else "sqlite (temporary scratch files, deleted)"
        return results, where
    finally:
        if not keep_dir:
            shutil.rmtree(workdir, ignore_errors=True)


# --- the report -----------------------------------------------------------------------------------------------


def report_build(*, world: World, results: list[dict], command: str, database: str, seconds: float) -> dict:
    config = asdict(world.config)
    config["start"] = world.config.start.isoformat()
    return {
        "schema": SCHEMA_VERSION,
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "command": command,
        "config": config,
        "world": {
            "patients": len(world.patients),
            "phone_numbers": len(world.phones),
            "providers": len(world.providers),
            "locations": len(world.locations),
            "cancellations": len(world.slots),
            "start": world.start.isoformat(),
        },
        "policies": results,
        "run": {"database": database, "seconds": round(seconds, 1)},
    }


def _fmt_minutes(m) -> str:
    if m is None:
        return "-"
    if m < 90:
        return f"{m:.0f} min"
    if m < 48 * 60:
        return f"{m / 60:.1f} h"
    return f"{m / 1440:.1f} d"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def _num(x, nd=1) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


TABLE_COLUMNS = (
    ("Fill rate", lambda m: _pct(m["fill_rate"])),
    ("Filled within 2 h", lambda m: _pct(m["filled_within_2h_rate"])),
    ("Median time to fill", lambda m: _fmt_minutes(m["median_minutes_to_fill"])),
    ("p90 time to fill", lambda m: _fmt_minutes(m["p90_minutes_to_fill"])),
    ("Offers per fill", lambda m: _num(m["offers_per_fill"])),
    ("Texts per fill", lambda m: _num(m["texts_per_fill"])),
    ("Most texts to one number in 7 days", lambda m: str(m["max_texts_one_number_7_days"])),
    ("Opt-outs", lambda m: str(m["opt_outs"])),
    ("Lost to the cutoff", lambda m: str(m["lost_to_cutoff"])),
    ("Nobody left", lambda m: str(m["exhausted"])),
)


def table_markdown(report: dict) -> str:
    head = "| Policy | " + " | ".join(name for name, _ in TABLE_COLUMNS) + " |"
    rule = "| --- |" + " ---: |" * len(TABLE_COLUMNS)
    lines = [head, rule]
    for p in report["policies"]:
        m = p["metrics"]
        lines.append(f"| {p['label']} | " + " | ".join(fn(m) for _, fn in TABLE_COLUMNS) + " |")
    return "\n".join(lines)


def table_figures(report: dict) -> dict:
    """What the table shows, per policy (the reproducibility test compares these)."""
    return {p["name"]: p["metrics"] for p in report["policies"]}


# --- the chart (hand-written SVG: no plotting dependency) --------------------------------------------------------

PALETTE = {"reference": "#6b7280", "nexhealth": "#d97706", "ours": "#059669"}
EXTRA_COLOURS = ("#2563eb", "#db2777", "#7c3aed")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _nice_step(top: float, ticks: int = 5) -> float:
    raw = max(top, 1) / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def chart_svg(report: dict) -> str:
    """Two panels: cumulative fills over the simulated days, and the share of slots filled within a
    given time (log scale), one line per policy."""
    policies = report["policies"]
    width, pw, ph = 1000, 400, 280
    panels = [(70, 84), (570, 84)]
    legend_y = panels[0][1] + ph + 58
    height = legend_y + 18 * (len(policies) + 1)
    colours = {p["name"]: PALETTE.get(p["name"], EXTRA_COLOURS[i % len(EXTRA_COLOURS)]) for i, p in enumerate(policies)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    cfg = report["config"]
    out.append(
        f'<text x="20" y="24" font-size="15" font-weight="600">Simulated fills: {report["world"]["cancellations"]} '
        f'cancellations, {report["world"]["patients"]} waitlisted patients, seed {cfg["seed"]}</text>'
    )
    out.append(
        f'<text x="20" y="42" fill="#555">accept {cfg["accept"]:g}, decline {cfg["decline"]:g}, opt-out {cfg["opt_out"]:g}; '
        f'replies {cfg["reply_distribution"]}, median {cfg["reply_median_minutes"]:g} min</text>'
    )

    # panel 1: cumulative fills per day
    x0, y0 = panels[0]
    series = {p["name"]: p["series"] for p in policies}
    horizon = max((len(s["fills_per_day"]) for s in series.values()), default=1)
    logged_total = [0]
    first = next(iter(series.values()), {"logged_per_day": []})
    for v in first["logged_per_day"]:
        logged_total.append(logged_total[-1] + v)
    top = max([logged_total[-1], 1])
    step = _nice_step(top)
    top = math.ceil(top / step) * step

    def px1(day, val):
        return x0 + pw * day / max(horizon, 1), y0 + ph - ph * val / top

    out.append(_axes(x0, y0, pw, ph, "Fills over time (cumulative)", "day of the simulation", "slots"))
    k = 0
    while k <= top:
        _, y = px1(0, k)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{k:g}</text>')
        k += step
    dstep = max(1, round(_nice_step(horizon, 6)))
    for d in range(0, horizon + 1, dstep):
        x, _ = px1(d, 0)
        out.append(f'<text x="{x:.1f}" y="{y0 + ph + 16}" text-anchor="middle" fill="#555">{d}</text>')
    pts = " ".join(f"{px1(d, v)[0]:.1f},{px1(d, v)[1]:.1f}" for d, v in enumerate(logged_total))
    out.append(f'<polyline points="{pts}" fill="none" stroke="#999" stroke-dasharray="4 3" stroke-width="1.5"/>')
    for p in policies:
        total, pts = 0, [px1(0, 0)]
        for d, v in enumerate(p["series"]["fills_per_day"]):
            total += v
            pts.append(px1(d + 1, total))
        poly = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{poly}" fill="none" stroke="{colours[p["name"]]}" stroke-width="2"/>')

    # panel 2: share filled within x minutes, log x
    x0, y0 = panels[1]
    lo, hi = 1, 40320

    def px2(minutes, share):
        return x0 + pw * math.log10(max(minutes, lo) / lo) / math.log10(hi / lo), y0 + ph - ph * share

    out.append(_axes(x0, y0, pw, ph, "Time to fill (share of all slots filled within)", "minutes after the slot was logged", ""))
    for share in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        _, y = px2(1, share)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{share:.0%}</text>')
    for minutes, label in ((1, "1 min"), (10, "10 min"), (120, "2 h"), (480, "8 h"), (1440, "1 d"), (10080, "1 wk"),
                           (40320, "4 wk")):
        x, _ = px2(minutes, 0)
        anchor = "end" if minutes == hi else "middle"
        out.append(f'<text x="{x:.1f}" y="{y0 + ph + 16}" text-anchor="{anchor}" fill="#555">{label}</text>')
    x2h, _ = px2(120, 0)
    out.append(f'<line x1="{x2h:.1f}" y1="{y0}" x2="{x2h:.1f}" y2="{y0 + ph}" stroke="#b91c1c" stroke-dasharray="3 3"/>')
    out.append(f'<text x="{x2h + 4:.1f}" y="{y0 + 12}" fill="#b91c1c">2 h</text>')
    for p in policies:
        pts = [px2(lo, 0)]
        for minutes, share in p["series"]["filled_within_minutes"]:
            pts.append(px2(minutes, share or 0))
        poly = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{poly}" fill="none" stroke="{colours[p["name"]]}" stroke-width="2"/>')

    # legend, one line per policy
    for i, p in enumerate(policies):
        y = legend_y + 18 * i
        out.append(f'<line x1="70" y1="{y - 4}" x2="92" y2="{y - 4}" stroke="{colours[p["name"]]}" stroke-width="3"/>')
        m = p["metrics"]
        label = (f'{p["label"]}: {_pct(m["fill_rate"])} filled, {_pct(m["filled_within_2h_rate"])} within 2 h, '
                 f'{_num(m["texts_per_fill"])} texts per fill')
        out.append(f'<text x="98" y="{y}">{_esc(label)}</text>')
    y = legend_y + 18 * len(policies)
    out.append(f'<line x1="70" y1="{y - 4}" x2="92" y2="{y - 4}" stroke="#999" stroke-dasharray="4 3" stroke-width="1.5"/>')
    out.append(f'<text x="98" y="{y}">cancellations logged (left panel)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _axes(x0: int, y0: int, pw: int, ph: int, title: str, xlabel: str, ylabel: str) -> str:
    parts = [
        f'<text x="{x0}" y="{y0 - 8}" font-weight="600">{_esc(title)}</text>',
        f'<line x1="{x0}" y1="{y0 + ph}" x2="{x0 + pw}" y2="{y0 + ph}" stroke="#333"/>',
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 + ph}" stroke="#333"/>',
        f'<text x="{x0 + pw / 2}" y="{y0 + ph + 32}" text-anchor="middle" fill="#333">{_esc(xlabel)}</text>',
    ]
    if ylabel:
        parts.append(
            f'<text x="{x0 - 48}" y="{y0 + ph / 2}" text-anchor="middle" fill="#333" '
            f'transform="rotate(-90 {x0 - 48} {y0 + ph / 2})">{_esc(ylabel)}</text>'
        )
    return "\n".join(parts)
