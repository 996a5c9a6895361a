"""Cascade latency: how fast the engine moves, measured end to end with real processes.

A scratch PostgreSQL database, the Twilio stand-in (bench/twilio_standin.py) reached by the real
`twilio` SDK (SMS_BACKEND=twilio), real django-q2 workers (`manage.py run_worker` (django-q2's cluster)) and the real timer
(`manage.py run_timer`). This process plays staff and patients through the same services the admin
and the inbound webhook call, and for each of N cancellations measures, on one monotonic clock
(the stand-in runs in this process):

1. commit of the new cancellation -> the stand-in receives the first wave's last offer text;
2. the last resolution of wave 1 (a NO reply, stored as the webhook stores it; a worker acts on it)
   -> wave 2's last offer text;
3. the hold of wave 2 ends (the script shortens it to end 0.5 s ahead) -> wave 3's last offer text.

Targets at p95: 1 s, 1 s, 2 s. Prints medians and p95s and exits non-zero if a wave never came or a
target is missed.

    .venv/bin/python bench/cascade_latency.py                      # 100 cancellations, ORM broker
    .venv/bin/python bench/cascade_latency.py -n 20 --broker redis
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.twilio_standin import StandIn  # noqa: E402

TARGETS = {"commit_to_wave": 1.0, "resolution_to_next_wave": 1.0, "expiry_to_next_wave": 2.0}
BATCH = 3
WARMUP = 2
STEP_TIMEOUT = 30.0


def seed(n_patients: int):
    """One location, one provider, one type, and n patients with consent and one entry each."""
    from clinicbot.clock import now
    from messaging.models import PhoneNumber
    from waitlist import priority
    from waitlist.models import AppointmentType, Location, Patient, Provider, WaitlistEntry

    loc = Location.objects.create(name="Cascade Clinic", sms_name="Cascade", time_zone="America/Chicago")
    atype = AppointmentType.objects.get_or_create(code="follow-up", defaults={"name": "Follow-up"})[0]
    prov = Provider.objects.create(name="Dr. Cascade", sms_name="Dr C", kind="MD")
    prov.locations.add(loc)
    prov.appointment_types.add(atype)
    at = now()
    phones = PhoneNumber.objects.bulk_create(
        PhoneNumber(e164=f"+1773{200 + i // 10000:03d}{i % 10000:04d}", consent_at=at, consent_source="written",
                    consent_recorded_by="bench", welcomed_at=at)
        for i in range(n_patients)
    )
    patients = Patient.objects.bulk_create(
        Patient(first_name="Cascade", last_name=f"P{i}", phone=phone) for i, phone in enumerate(phones)
    )
    entries = []
    for i, patient in enumerate(patients):
        joined = at - dt.timedelta(days=i % 400)
        score, parts = priority.compute(urgent=False, manual_boost=0, current_appointment_at=None, joined_at=joined,
                                        today=at.date())
        entries.append(WaitlistEntry(patient=patient, appointment_type=atype, joined_at=joined, priority=score,
                                     priority_breakdown=parts, priority_on=at.date()))
    WaitlistEntry.objects.bulk_create(entries)
    return loc, prov, atype


class Run:
    def __init__(self, standin: StandIn, loc, prov, atype):
        from core.actors import Actor

        self.standin, self.loc, self.prov, self.atype = standin, loc, prov, atype
        self.staff = Actor("staff", "cascade-bench")
        self.sid = 0
        self.base = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)

    def offer_times(self, phones: set[str], since: int) -> list[float]:
        server = self.standin.server
        with server.lock:
            recent = server.requests[since:]
        return [t for t, form in recent if form.get("To") in phones and "Reply YES" in form.get("Body", "")]

    def wait_wave(self, cancellation_id: int, wave: int, since: int) -> float | None:
        """Monotonic time of the last offer text of that wave, once every one of them has arrived.
        The database is asked only until the wave's offers exist; then only the stand-in is watched."""
        from offers.models import Offer

        deadline = time.monotonic() + STEP_TIMEOUT
        phones: set[str] = set()
        while time.monotonic() < deadline:
            if len(phones) < BATCH:
                phones = set(Offer.objects.filter(cancellation_id=cancellation_id, wave=wave)
                             .values_list("phone__e164", flat=True))
                time.sleep(0.02)
                continue
            times = self.offer_times(phones, since)
            if len(times) >= BATCH:
                return max(times)
            time.sleep(0.005)
        return None

    def mark(self) -> int:
        with self.standin.server.lock:
            return len(self.standin.server.requests)

    def reply(self, e164: str, body: str, stamp: dict | None = None) -> None:
        """A patient's text, received as the inbound webhook receives it: stored in autocommit, its
        processing enqueued for a worker (stamped just before the store, if asked: the start of
        Twilio's request, so the worker hop is inside the measure)."""
        from messaging import services as messaging

        self.sid += 1
        if stamp is not None:
            stamp.setdefault("t", time.monotonic())
        messaging.inbound_receive(params={"MessageSid": f"SM{self.sid:032x}", "From": e164, "Body": body})

    def quiet(self) -> None:
        from messaging.models import Message

        common.wait_until(
            lambda: not Message.objects.filter(send_state__in=["queued", "sending"]).exists()
            and not Message.objects.filter(direction="inbound", processed_at__isnull=True).exists(),
            15, 0.05,
        )

    def one(self, i: int) -> dict[str, float | None]:
        from django.db import transaction
        from django.utils import timezone

        from offers import services as offers
        from offers.models import Offer

        out: dict[str, float | None] = {}
        # 1. commit -> the first wave's last send request
        since = self.mark()
        stamp: dict = {}
        with transaction.atomic():
            transaction.on_commit(lambda: stamp.setdefault("t", time.monotonic()))
            c = offers.cancellation_create(
                actor=self.staff, provider=self.prov, location=self.loc, appointment_type=self.atype,
                start_at=self.base + dt.timedelta(minutes=30 * i), duration_minutes=20,
            )
        last = self.wait_wave(c.pk, 1, since)
        out["commit_to_wave"] = None if last is None else last - stamp["t"]
        if last is None:
            return out
        self.quiet()

        # 2. the last resolution of wave 1 -> wave 2's last send request
        wave1 = list(Offer.objects.filter(cancellation=c, wave=1).select_related("phone").order_by("pk"))
        for offer in wave1[:-1]:
            self.reply(offer.phone.e164, "NO")
        self.quiet()
        since = self.mark()
        stamp = {}
        self.reply(wave1[-1].phone.e164, "NO", stamp)
        last = self.wait_wave(c.pk, 2, since)
        out["resolution_to_next_wave"] = None if last is None else last - stamp["t"]
        if last is None:
            return out
        self.quiet()

        # 3. wave 2's hold ends -> wave 3's last send request
        since = self.mark()
        wall, mono = timezone.now(), time.monotonic()
        Offer.objects.filter(cancellation=c, wave=2, status="pending").update(
            expires_at=wall + dt.timedelta(seconds=0.5)
        )
        last = self.wait_wave(c.pk, 3, since)
        out["expiry_to_next_wave"] = None if last is None else last - (mono + 0.5)
        offers.cancellation_withdraw(cancellation_id=c.pk, actor=self.staff)
        self.quiet()
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--cancellations", type=int, default=100)
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument("--workers", type=int, default=2, help="Q_WORKERS of the one qcluster")
    parser.add_argument("--logs", default="var/bench-logs/cascade", help="where the processes' logs go")
    args = parser.parse_args()
    n_total = args.cancellations + WARMUP

    with StandIn() as standin, common.scratch_database("cascade") as db_url, common.scratch_redis() as redis_url:
        env = common.clinic_env(db_url=db_url, redis_url=redis_url, broker=args.broker, standin_url=standin.url,
                                Q_WORKERS=str(args.workers), OFFER_BATCH_SIZE=str(BATCH))
        common.migrate(env)
        common.django_setup(env)
        from django.conf import settings

        loc, prov, atype = seed(n_total * BATCH * 3 + 30)
        run = Run(standin, loc, prov, atype)
        results: dict[str, list[float]] = {k: [] for k in TARGETS}
        missing = 0
        with common.Processes(common.ROOT / args.logs) as procs:
            procs.worker("worker", env)
            procs.timer("timer", env)
            time.sleep(3)  # both processes up (django-q2 forks its workers)
            t0 = time.monotonic()
            for i in range(n_total):
                out = run.one(i)
                missing += sum(1 for k in TARGETS if out.get(k) is None)
                if i >= WARMUP:
                    for k, v in out.items():
                        if v is not None:
                            results[k].append(v)
                if (i + 1) % 10 == 0:
                    print(f"  {i + 1}/{n_total} cancellations", flush=True)
            wall = time.monotonic() - t0

        print()
        print(f"cascade_latency: {args.cancellations} cancellations (+{WARMUP} warm-up), waves of {BATCH}, "
              f"broker {args.broker}, {args.workers} workers, timer tick {settings.TIMER_TICK_SECONDS}s, "
              f"expiry grace {settings.OFFER_EXPIRY_GRACE_SECONDS}s, django-q2 poll {settings.Q_CLUSTER['poll']}s")
        print(f"  machine: {common.machine()}")
        ok = missing == 0
        for key, target in TARGETS.items():
            values = results[key]
            p50, p95 = common.median(values) * 1000, common.percentile(values, 95) * 1000
            hit = p95 <= target * 1000
            ok = ok and hit and len(values) == args.cancellations
            print(f"  {key:25s} n={len(values):3d}  median {p50:6.0f} ms  p95 {p95:6.0f} ms  "
                  f"max {max(values) * 1000 if values else float('nan'):6.0f} ms  target p95 <= {target * 1000:.0f} ms "
                  f"{'ok' if hit else 'MISSED'}")
        print(f"  waves that never came: {missing}; wall {wall:.0f}s")
        print("OK" if ok else "TARGET MISSED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
