"""Realistic clinic data for the benchmarks, written fast (PostgreSQL COPY), deterministic per seed.

A clinic group: locations, providers of several kinds, six appointment types of which two take most
entries; patients with varied preferences (provider kinds, weekdays, times of day, notice, slot
length, preferred providers and locations), some family numbers shared by several patients, a few
opted-out or unreachable numbers, inactive entries, and a recent offer history so the caps, the
cooldown and the one-pending-offer rule have rows to look at.

Needs Django configured on a scratch PostgreSQL database (bench.common.django_setup)."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from dataclasses import dataclass

# code, name, minutes, share of entries
TYPES = [
    ("follow-up", "Follow-up", 20, 0.55),
    ("new-patient", "New patient", 40, 0.20),
    ("procedure", "Procedure", 60, 0.10),
    ("annual", "Annual physical", 30, 0.07),
    ("telehealth", "Telehealth", 15, 0.05),
    ("consult", "Consult", 30, 0.03),
]
KINDS = ["MD", "MD", "DO", "NP", "PA"]
AREAS = [312, 773, 872, 630, 708, 847, 224, 331]


@dataclass
class Clinic:
    types: list  # AppointmentType, most common first
    locations: list
    providers: list


def phone_for(i: int) -> str:
    """A distinct, valid-looking US number for index i (up to 6.4M of them)."""
    area = AREAS[(i // 800_000) % len(AREAS)]
    rest = i % 800_000
    return f"+1{area}{200 + rest // 10_000:03d}{rest % 10_000:04d}"


def seed_clinic(*, locations: int = 4, providers: int = 16, seed: int = 1) -> Clinic:
    from waitlist.models import AppointmentType, Location, Provider

    rng = random.Random(seed)
    types = [
        AppointmentType.objects.get_or_create(code=code, defaults={"name": name, "default_minutes": minutes})[0]
        for code, name, minutes, _ in TYPES
    ]
    locs = [
        Location.objects.create(
            name=f"Bench Clinic {i + 1}", sms_name=f"Clinic{i + 1}", time_zone="America/Chicago",
            address=f"{100 + i} Main St", external_id=f"bench-loc-{i}",
        )
        for i in range(locations)
    ]
    provs = []
    for i in range(providers):
        p = Provider.objects.create(name=f"Dr. Bench {i + 1}", sms_name=f"Dr B{i + 1}", kind=KINDS[i % len(KINDS)],
                                    external_id=f"bench-prov-{i}")
        p.locations.set(rng.sample(locs, k=1 + (i % 2)))
        p.appointment_types.set([types[0], *rng.sample(types[1:], k=2 + i % 3)])
        provs.append(p)
    return Clinic(types=types, locations=locs, providers=provs)


def _copy(model, columns: list[str], rows) -> int:
    """COPY rows (tuples in `columns` order) into the model's table."""
    from django.db import connection

    table = model._meta.db_table
    n = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
        with raw.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
    return n


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _reset_sequence(model) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))"
        )


def seed_waitlist(clinic: Clinic, n_entries: int, *, seed: int = 1, at: dt.datetime | None = None,
                  history: bool = True, verbose: bool = True) -> dict:
    """Add `n_entries` waitlist entries (and their patients and numbers) to the scratch database.

    Call again to grow the waitlist: numbers and ids continue where the last call stopped."""
    from django.db import connection, transaction

    from clinicbot.clock import now
    from clinicbot.sending_window import default_window
    from messaging.models import PhoneNumber
    from waitlist.models import Patient, WaitlistEntry
    from waitlist.priority import compute

    at = at or now()
    today = at.astimezone(default_window().tz).date()
    rng = random.Random(seed * 1_000_003 + n_entries)
    t0 = time.monotonic()
    first_phone, first_patient, first_entry = _next_id(PhoneNumber), _next_id(Patient), _next_id(WaitlistEntry)
    weights = [share for *_, share in TYPES]
    type_ids = [t.pk for t in clinic.types]
    minutes = {t.pk: t.default_minutes for t in clinic.types}
    prov_ids = [p.pk for p in clinic.providers]
    loc_ids = [loc.pk for loc in clinic.locations]

    phones, patients, entries, ent_prov, ent_loc = [], [], [], [], []
    phone_id = first_phone - 1
    for k in range(n_entries):
        pid = first_patient + k
        eid = first_entry + k
        # about 5% of patients share the previous patient's number (a parent and children)
        if k == 0 or rng.random() >= 0.05:
            phone_id += 1
            r = rng.random()
            phones.append((
                phone_id, phone_for(phone_id), at - dt.timedelta(days=rng.randint(1, 500)) if r < 0.97 else None,
                "written" if r < 0.97 else "", r >= 0.985 and r < 0.995, r >= 0.995, at,
            ))
        patients.append((pid, "Pat", f"Bench{pid}", phone_id, "self", "es" if rng.random() < 0.15 else "en", at))
        type_id = rng.choices(type_ids, weights)[0]
        urgent = rng.random() < 0.05
        boost = 10 if rng.random() < 0.01 else 0
        joined = at - dt.timedelta(days=rng.randint(0, 400), minutes=rng.randint(0, 1439))
        current = None if rng.random() < 0.2 else at + dt.timedelta(days=rng.randint(3, 260), hours=rng.randint(0, 9))
        score, breakdown = compute(urgent=urgent, manual_boost=boost, current_appointment_at=current,
                                   joined_at=joined, today=today)
        earliest = latest = None
        if rng.random() < 0.3:
            earliest = dt.time(rng.choice([7, 8, 9, 10, 12, 13]))
            latest = dt.time(min(23, earliest.hour + rng.choice([3, 4, 6, 8])))
        provider_prefs = rng.sample(prov_ids, k=rng.randint(1, 2)) if rng.random() < 0.15 else []
        location_prefs = rng.sample(loc_ids, k=1) if rng.random() < 0.2 else []
        active = rng.random() >= 0.1
        entries.append((
            eid, pid, type_id,
            minutes[type_id] if rng.random() < 0.4 else None,
            urgent, boost, "bench" if boost else "",
            current, joined,
            today + dt.timedelta(days=rng.randint(1, 30)) if rng.random() < 0.1 else None,
            0 if rng.random() < 0.7 else rng.randint(1, 31),
            0 if rng.random() < 0.6 else rng.randint(1, 127),
            earliest, latest,
            0 if rng.random() < 0.8 else rng.choice([2, 4, 12, 24, 48]),
            active, "" if active else "fulfilled", None if active else at,
            bool(provider_prefs), bool(location_prefs),
            score, json.dumps(breakdown), today, 0, at, "",
        ))
        ent_prov.extend((eid, p) for p in provider_prefs)
        ent_loc.extend((eid, loc) for loc in location_prefs)

    with transaction.atomic():
        _copy(PhoneNumber, ["id", "e164", "consent_at", "consent_source", "opted_out", "cannot_receive", "created_at",
                            "consent_recorded_by", "consent_disclosure_version", "opted_out_source",
                            "cannot_receive_reason", "wrong_number_flagged", "welcomed_at"],
              (row + ("bench", "2026-11", "keyword" if row[4] else "", "carrier error 30006" if row[5] else "",
                      False, row[6]) for row in phones))
        _copy(Patient, ["id", "first_name", "last_name", "phone_id", "relationship", "language", "created_at"], patients)
        _copy(WaitlistEntry, [
            "id", "patient_id", "appointment_type_id", "visit_minutes", "urgent", "manual_boost", "boost_reason",
            "current_appointment_at", "joined_at", "ready_from", "provider_kinds_mask", "weekdays_mask",
            "earliest_time", "latest_time", "min_notice_hours", "active", "inactive_reason", "inactive_at",
            "has_provider_prefs", "has_location_prefs", "priority", "priority_breakdown", "priority_on",
            "consecutive_no_reply", "last_activity_at", "notes",
        ], entries)
        _copy(WaitlistEntry.providers.through, ["waitlistentry_id", "provider_id"], ent_prov)
        _copy(WaitlistEntry.locations.through, ["waitlistentry_id", "location_id"], ent_loc)
        for model in (PhoneNumber, Patient, WaitlistEntry):
            _reset_sequence(model)
    offers_made = seed_offer_history(clinic, first_patient, n_entries, rng=rng, at=at) if history else 0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    stats = {"entries": n_entries, "phones": len(phones), "offers_history": offers_made,
             "seconds": round(time.monotonic() - t0, 1)}
    if verbose:
        print(f"seeded {n_entries} entries ({len(phones)} numbers, {offers_made} past offers) "
              f"in {stats['seconds']}s", flush=True)
    return stats


def seed_offer_history(clinic: Clinic, first_patient: int, n_patients: int, *, rng: random.Random,
                       at: dt.datetime) -> int:
    """Ended offers from the past week to about 4% of the new patients (caps and cooldown see them)."""
    from django.db import transaction

    from offers.models import Cancellation, Offer
    from waitlist.models import Patient, WaitlistEntry

    count = max(1, n_patients // 25)
    chosen = rng.sample(range(first_patient, first_patient + n_patients), k=min(count, n_patients))
    per_slot = 200
    made = 0
    with transaction.atomic():
        for start in range(0, len(chosen), per_slot):
            ids = chosen[start:start + per_slot]
            prov = rng.choice(clinic.providers)
            when = at - dt.timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 20))
            c = Cancellation.objects.create(
                provider=prov, location=prov.locations.first(), appointment_type=clinic.types[0],
                start_at=when + dt.timedelta(hours=3), duration_minutes=20, status=Cancellation.Status.UNFILLED,
                end_reason=Cancellation.EndReason.EXHAUSTED, created_at=when, ended_at=when + dt.timedelta(hours=1),
                current_wave=1,
            )
            rows = []
            patients = Patient.objects.filter(pk__in=ids).values_list("pk", "phone_id")
            entry_of = dict(WaitlistEntry.objects.filter(patient_id__in=ids).values_list("patient_id", "pk"))
            for pid, phone_id in patients:
                sent = when + dt.timedelta(minutes=rng.randint(0, 50))
                rows.append((c.pk, entry_of[pid], pid, phone_id, 1, rng.choice(["expired", "declined"]), 0, "{}",
                             sent, sent + dt.timedelta(minutes=7), sent + dt.timedelta(minutes=7), False))
            made += _copy(Offer, ["cancellation_id", "entry_id", "patient_id", "phone_id", "wave", "status", "score",
                                  "score_breakdown", "sent_at", "expires_at", "ended_at", "clarified"], rows)
    return made


def open_cancellations(clinic: Clinic, n: int, *, seed: int = 2, hours_ahead: tuple[int, int] = (4, 30)):
    """Create `n` live cancellations through the product's service (audited, validated), spread over
    providers, locations, types and times. Returns them; their first waves are enqueued on commit."""
    from django.core.exceptions import ValidationError

    from clinicbot.clock import now
    from core.actors import Actor
    from offers import services

    rng = random.Random(seed)
    actor = Actor.system("bench")
    made = []
    base = now().replace(second=0, microsecond=0)
    used: set[tuple[int, dt.datetime]] = set()
    attempts = 0
    while len(made) < n and attempts < n * 20:
        attempts += 1
        prov = rng.choice(clinic.providers)
        start = base + dt.timedelta(hours=rng.randint(*hours_ahead), minutes=rng.choice([0, 15, 30, 45]))
        if (prov.pk, start) in used:
            continue
        used.add((prov.pk, start))
        types = list(prov.appointment_types.all())
        atype = types[0] if rng.random() < 0.6 else rng.choice(types)
        try:
            made.append(services.cancellation_create(
                actor=actor, provider=prov, location=rng.choice(list(prov.locations.all())), appointment_type=atype,
                start_at=start, duration_minutes=max(atype.default_minutes, 20) + rng.choice([0, 0, 10, 20]),
            ))
        except ValidationError:  # this provider already has a live slot then (an earlier call made it)
            continue
    return made


class NullBackend:
    """Answers every send like Twilio's Messages resource, in process (for seeding state quickly)."""

    name = "null"
    plays_provider = False

    def send(self, sms):
        import secrets

        from messaging.backends import SendResult

        return SendResult(ok=True, sid="SM" + secrets.token_hex(16), status="queued")


def open_offers(clinic: Clinic, n: int, *, seed: int = 2, hours_ahead: tuple[int, int] = (4, 30)) -> list:
    """Live cancellations with their first wave made and its texts sent, in this process (tasks run
    inline, sends answered by NullBackend): the state a busy clinic's webhooks meet."""
    from django.conf import settings

    from messaging import backends

    previous = getattr(settings, "TASKS_EAGER", False)
    settings.TASKS_EAGER = True
    backends.set_backend(NullBackend())
    try:
        return open_cancellations(clinic, n, seed=seed, hours_ahead=hours_ahead)
    finally:
        settings.TASKS_EAGER = previous
        backends.set_backend(None)
