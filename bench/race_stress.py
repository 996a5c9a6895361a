"""Race stress: many rounds of eight patients answering YES to one slot at the same instant.

Each round logs a slot, lets the engine offer it to eight patients in one wave, stores their eight
YES texts, then releases eight threads (each with its own PostgreSQL connection, like eight web
workers) through a barrier to process them, exactly as the inbound webhook does. Afterwards it
checks the invariants:

* double wins: rounds with more than one accepted offer, or a slot not filled by the one winner
  (must be 0);
* lost replies: a winner without a "confirmed" text, or a loser without a "taken" text (must be 0);
* extra replies: a patient told twice (reported; one text per patient is the design).

It runs against the PostgreSQL server named by TEST_DATABASE_URL or DATABASE_URL, in a scratch
database of its own (created and dropped here; never the dev or test database). Exits non-zero on
any violation.

    .venv/bin/python bench/race_stress.py                 # 1,000 rounds
    .venv/bin/python bench/race_stress.py --rounds 50
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, median, percentile, require_loopback, scratch_database  # noqa: E402

WAVE = 8


def server_admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("race_stress needs PostgreSQL: set TEST_DATABASE_URL (or DATABASE_URL) to postgres://...")
    require_loopback(url)
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/postgres"


def bench_env(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        CLINICBOT_IGNORE_DOTENV="1",
        DJANGO_SETTINGS_MODULE="clinicbot.settings",
        DEBUG="true",  # no Redis needed: everything runs in this process
        DATABASE_URL=db_url,
        REDIS_URL="",
        Q_BROKER="orm",
        SMS_BACKEND="dev",
        SENDING_HOURS="00:00-24:00",
        OFFER_BATCH_SIZE=str(WAVE),
        OFFER_MAX_BATCH_SIZE=str(WAVE),
        # the losers of one round are offered the next round's slot: no caps, no rest
        OFFER_CAP_PER_DAY="1000000",
        OFFER_CAP_PER_WEEK="1000000",
        OFFER_COOLDOWN_MINUTES="0",
        LOG_JSON="false",
    )
    return env


class Recorder:
    """The SMS backend: records every send request (thread-safe), answers like Twilio."""

    name = "recorder"
    plays_provider = False

    def __init__(self):
        self.lock = threading.Lock()
        self.to: list[str] = []

    def send(self, sms):
        import secrets

        from messaging.backends import SendResult

        with self.lock:
            self.to.append(sms.to)
        return SendResult(ok=True, sid="SM" + secrets.token_hex(16), status="queued")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1000)
    args = parser.parse_args()

    with scratch_database("race", server_admin_url()) as db_url:
        env = bench_env(db_url)
        os.environ.update(env)
        import logging

        import django
        from django.core.management import call_command

        logging.disable(logging.WARNING)
        django.setup()
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        return run(args.rounds)


def run(rounds: int) -> int:
    from django.conf import settings
    from django.db import connection

    from core.actors import Actor
    from messaging import backends
    from messaging import services as messaging
    from messaging.models import Message, PhoneNumber
    from offers import services as offers
    from offers.models import Offer
    from waitlist import services as waitlist
    from waitlist.models import AppointmentType, Location, Provider

    settings.TASKS_EAGER = True  # sends and next waves run in the committing thread, as a worker would
    recorder = Recorder()
    backends.set_backend(recorder)
    staff = Actor("staff", "race-bench")
    loc = Location.objects.create(name="Race Clinic", sms_name="Race", time_zone="America/Chicago")
    atype = AppointmentType.objects.create(code="follow-up", name="Follow-up")
    prov = Provider.objects.create(name="Dr. Race", sms_name="Dr R", kind="MD")
    prov.locations.add(loc)
    prov.appointment_types.add(atype)
    numbers = iter(range(1, 10**6))

    def new_entry():
        n = next(numbers)
        patient, _ = waitlist.patient_upsert(actor=staff, first_name="Race", last_name=f"P{n}",
                                             phone=f"+1312{200 + n // 10000:03d}{n % 10000:04d}",
                                             consent_source="written")
        PhoneNumber.objects.filter(pk=patient.phone_id).update(welcomed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        waitlist.entry_save(actor=staff, patient=patient, appointment_type=atype)

    for _ in range(WAVE):
        new_entry()

    # eight long-lived threads, each with its own connection (like eight web worker threads)
    start, done = threading.Barrier(WAVE + 1), threading.Barrier(WAVE + 1)
    work: list = [None] * WAVE
    results: list = [None] * WAVE
    stop = threading.Event()

    def worker(i):
        try:
            while True:
                start.wait()
                if stop.is_set():
                    return
                try:
                    results[i] = messaging.inbound_process(message_id=work[i])
                except BaseException as exc:  # noqa: BLE001 - counted as a violation below
                    results[i] = exc
                done.wait()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(WAVE)]
    for t in threads:
        t.start()

    double_wins = lost = extra = errors = 0
    race_ms: list[float] = []
    winner_positions: dict[int, int] = {}
    base = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    t_all = time.monotonic()
    for r in range(rounds):
        c = offers.cancellation_create(actor=staff, provider=prov, location=loc, appointment_type=atype,
                                       start_at=base + dt.timedelta(minutes=30 * r), duration_minutes=20)
        wave = list(Offer.objects.filter(cancellation=c, status="pending").select_related("phone").order_by("pk"))
        if len(wave) != WAVE:
            print(f"round {r}: the wave had {len(wave)} offers, not {WAVE}", file=sys.stderr)
            errors += 1
            break
        for i, offer in enumerate(wave):
            message, _ = messaging.inbound_record(
                params={"MessageSid": f"SM{r:012x}{i:020x}", "From": offer.phone.e164, "Body": "YES"}
            )
            work[i] = message.pk
        t0 = time.monotonic()
        start.wait()
        done.wait()
        race_ms.append((time.monotonic() - t0) * 1000)
        errors += sum(1 for x in results if not isinstance(x, str))

        c.refresh_from_db()
        accepted = [o for o in Offer.objects.filter(cancellation=c, status="accepted")]
        if len(accepted) != 1 or c.filled_offer_id != accepted[0].pk:
            double_wins += 1
        for i, offer in enumerate(wave):
            kinds = list(Message.objects.filter(direction="outbound", offer_link__offer=offer)
                         .exclude(kind="offer").values_list("kind", flat=True))
            expected = "confirmed" if accepted and offer.pk == accepted[0].pk else "taken"
            if expected == "confirmed":
                winner_positions[i] = winner_positions.get(i, 0) + 1
            told = kinds.count(expected)
            lost += told == 0
            extra += told > 1
        unsent = Message.objects.filter(direction="outbound", send_state="queued").count()
        lost += unsent
        new_entry()  # the winner left the list
        if (r + 1) % 100 == 0:
            print(f"  {r + 1} rounds: double wins {double_wins}, lost replies {lost}, errors {errors}", flush=True)

    stop.set()
    start.wait()
    for t in threads:
        t.join(5)

    wall = time.monotonic() - t_all
    print()
    print(f"race_stress: {rounds} rounds of {WAVE} simultaneous YES replies to one slot")
    print(f"  machine: {machine()}")
    print(f"  double wins:   {double_wins}  (must be 0)")
    print(f"  lost replies:  {lost}  (must be 0)")
    print(f"  extra replies: {extra}  (a patient told twice)")
    print(f"  errors:        {errors}")
    print(f"  8 replies processed: median {median(race_ms):.1f} ms, p95 {percentile(race_ms, 95):.1f} ms")
    print(f"  winner by position in the wave: {dict(sorted(winner_positions.items()))}")
    print(f"  sends recorded: {len(recorder.to)}; wall {wall:.0f}s")
    ok = double_wins == 0 and lost == 0 and errors == 0
    print("OK" if ok else "VIOLATION")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
