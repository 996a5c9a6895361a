"""Selection at scale: how the cost of picking a wave grows with the waitlist.

For each waitlist size (default 10k, 100k, 1M entries of realistic, varied preferences on a scratch
PostgreSQL database) it measures:

* the time of `offers.selectors.pick_wave` for a slot of the most common and of a rare appointment
  type (median and p95 over --repeat calls),
* the SQL queries of one whole wave (`offers.services.wave_advance`) and of one signed inbound
  webhook of each kind (YES, NO, unknown text, HELP) through Django's test client,
* the `EXPLAIN (ANALYZE, BUFFERS)` plan of the eligibility query, and whether it reads the
  selection index.

Invariants (exit 1 when broken): every wave finds entries; the query counts per wave and per
webhook are the same at every size. With --strict a missed time target (--target-ms, at the
largest size) fails too.

    .venv/bin/python -m bench.selection_scale                       # 10k, 100k, 1M (the 1M build takes minutes)
    .venv/bin/python -m bench.selection_scale --sizes 10000,100000  # quicker
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from bench import common


def _time_pick(cancellation, repeat: int, size: int) -> tuple[list[float], int]:
    from clinicbot.clock import now
    from offers.selectors import pick_wave

    for _ in range(3):  # warm the caches and the plan
        picked = pick_wave(cancellation=cancellation, at=now(), size=size)
    times, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.thread_time()
        picked = pick_wave(cancellation=cancellation, at=now(), size=size)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return times, cpu, len(picked)


def _fresh_slot(clinic, atype, n: int):
    """A new live cancellation (not yet offered) of this type, far enough ahead for any notice."""
    import datetime as dt

    from clinicbot.clock import now
    from offers.models import Cancellation

    prov = next(p for p in clinic.providers if p.appointment_types.filter(pk=atype.pk).exists())
    start = now().replace(second=0, microsecond=0) + dt.timedelta(days=3, minutes=15 * n)
    # created directly (not through the service) so no wave task is enqueued behind our back
    return Cancellation.objects.select_related("location", "provider", "appointment_type").get(
        pk=Cancellation.objects.create(
            provider=prov, location=prov.locations.first(), appointment_type=atype, start_at=start,
            duration_minutes=60, created_at=now(), next_wave_at=now(),
        ).pk
    )


def _count_queries(fn) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


def _webhook_queries(clinic, atype, counter: list[int]) -> dict[str, int]:
    """Queries of one signed inbound webhook of each kind, against offers of a fresh wave."""
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client

    from messaging.models import PhoneNumber
    from offers import services
    from offers.models import Offer

    client = Client()
    path = "/webhooks/twilio/inbound/"
    base = settings.PUBLIC_BASE_URL
    counts = {}
    # YES answers one wave; NO and an unknown text answer other pending offers; HELP comes from a
    # number with no offer. Only numbers of one patient each: a family number costs one more query
    # (which patient wrote?), which would make the counts depend on the sample, not the waitlist.
    yes, others = None, []
    for _ in range(12):
        counter[0] += 1
        c = _fresh_slot(clinic, atype, counter[0])
        services.wave_advance(cancellation_id=c.pk)
        singles = [o.phone.e164 for o in Offer.objects.filter(cancellation=c).select_related("phone").order_by("pk")
                   if o.phone.patients.count() == 1]
        if yes is None and singles:
            yes = singles[0]  # its own slot: the YES fills it, the other slots stay pending
        else:
            others += singles
        if yes is not None and len(others) >= 2:
            break
    offered = Offer.objects.values_list("phone_id", flat=True)
    bystander = (PhoneNumber.objects.exclude(pk__in=offered)
                 .filter(consent_at__isnull=False, opted_out=False, cannot_receive=False)
                 .annotate(n=Count("patients")).filter(n=1).order_by("pk").values_list("e164", flat=True).first())
    cases = [
        ("YES", yes, "Yes"),
        ("NO", others[0], "no thanks"),
        ("unknown text", others[1], "what time is it again?"),
        ("HELP", bystander, "HELP"),
    ]
    for label, phone, body in cases:
        params = common.inbound_params(from_=phone, body=body)
        sig = common.sign(base + path, params)
        n, response = _count_queries(lambda p=params, s=sig: client.post(path, p, HTTP_X_TWILIO_SIGNATURE=s))
        if response.status_code != 200:
            raise common.InvariantBroken(f"webhook {label} answered {response.status_code}")
        counts[label] = n
    return counts


def _explain(cancellation) -> tuple[str, bool]:
    from django.db import connection

    from clinicbot.clock import now
    from offers.selectors import eligible_entries

    qs = eligible_entries(cancellation=cancellation, at=now())[:12]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    entry_scan = re.search(r"Index (Only )?Scan( Backward)? using (\w+) on waitlist_waitlistentry", plan)
    return plan, bool(entry_scan)


def run(args) -> int:
    sizes = [int(s) for s in args.sizes.split(",")]
    failures: list[str] = []
    results = {"machine": common.machine(), "command": " ".join(sys.argv), "sizes": []}
    print(f"machine: {results['machine']}; load average {common.load_average()}")
    results["load_average_start"] = common.load_average()
    with common.scratch_database("selection") as db_url, common.scratch_redis() as redis_url:
        env = common.clinic_env(db_url=db_url, redis_url=redis_url, broker="redis",
                                ALLOWED_HOSTS="127.0.0.1,localhost,testserver")
        common.migrate(env)
        common.django_setup(env)
        from bench import seed
        from clinicbot.clock import now
        from offers import services
        from offers.policy import plan_wave
        from offers.selectors import cancellation_deadline

        clinic = seed.seed_clinic()
        common_type, rare_type = clinic.types[0], clinic.types[-1]
        have = 0
        counter = [0]
        for size in sizes:
            if size > have:
                seed.seed_waitlist(clinic, size - have, seed=size)
                have = size
            print(f"\n== waitlist of {size:,} entries")
            row = {"entries": size}
            for label, atype in (("common type", common_type), ("rare type", rare_type)):
                counter[0] += 1
                slot = _fresh_slot(clinic, atype, counter[0])
                batch = plan_wave(at=now(), deadline=cancellation_deadline(slot)).batch
                times, cpu, found = _time_pick(slot, args.repeat, batch)
                med, p95 = common.median(times), common.percentile(times, 95)
                print(f"  pick_wave ({label:11s} {atype.code:12s}): median {med:6.2f} ms  p95 {p95:6.2f} ms  "
                      f"(Python CPU {common.median(cpu):5.2f} ms; {found} picked of {batch}; "
                      f"load average {os.getloadavg()[0]:.1f})")
                key = label.split()[0]
                row[f"pick_{key}_median_ms"] = round(med, 2)
                row[f"pick_{key}_p95_ms"] = round(p95, 2)
                row[f"pick_{key}_python_cpu_ms"] = round(common.median(cpu), 2)
                row["load_average"] = round(os.getloadavg()[0], 2)
                common.check(found > 0, f"{size:,}: a wave for a {label} slot finds entries", failures)
                if label == "common type":
                    plan, uses_index = _explain(slot)
                    row["plan_uses_entry_index"] = uses_index
                    row["plan"] = plan
                    found_exec = re.search(r"Execution Time: ([\d.]+) ms", plan)
                    row["db_execution_ms"] = float(found_exec.group(1)) if found_exec else None
                    print(f"  EXPLAIN ANALYZE of the eligibility query: execution {row['db_execution_ms']} ms, "
                          f"{'reads' if uses_index else 'does NOT read'} an index of the waitlist")
                    if args.show_plans:
                        print("  EXPLAIN (ANALYZE, BUFFERS):\n    " + plan.replace("\n", "\n    "))
                    common.check(uses_index, f"{size:,}: the eligibility query reads an index of the waitlist",
                                 failures)
            wave_times, wave_queries = [], []
            for _ in range(5):
                counter[0] += 1
                slot = _fresh_slot(clinic, common_type, counter[0])
                t = time.perf_counter()
                n, outcome = _count_queries(lambda s=slot: services.wave_advance(cancellation_id=s.pk))
                wave_times.append((time.perf_counter() - t) * 1000)
                wave_queries.append(n)
                common.check(str(outcome).startswith("wave"), f"{size:,}: wave_advance made a wave ({outcome})",
                             failures)
            row["wave_queries"] = max(wave_queries)
            row["wave_median_ms"] = round(common.median(wave_times), 2)
            print(f"  whole wave (wave_advance, 3 offers + texts): median {row['wave_median_ms']} ms, "
                  f"{row['wave_queries']} SQL queries")
            row["webhook_queries"] = _webhook_queries(clinic, common_type, counter)
            print(f"  SQL queries per inbound webhook: {row['webhook_queries']}")
            results["sizes"].append(row)

    print("\n== summary")
    print(f"{'entries':>10s} {'pick common (median/p95 ms)':>28s} {'pick rare':>16s} {'wave q':>7s} "
          f"{'webhook q (YES/NO/?/HELP)':>26s} {'DB ms':>6s} index")
    for row in results["sizes"]:
        w = row["webhook_queries"]
        print(f"{row['entries']:>10,d} {row['pick_common_median_ms']:>12.2f} / {row['pick_common_p95_ms']:<12.2f} "
              f"{row['pick_rare_median_ms']:>7.2f} / {row['pick_rare_p95_ms']:<6.2f} {row['wave_queries']:>7d} "
              f"{'/'.join(str(w[k]) for k in ('YES', 'NO', 'unknown text', 'HELP')):>26s} "
              f"{row['db_execution_ms'] or 0:>6.2f} {'yes' if row['plan_uses_entry_index'] else 'NO'}")
    rows = results["sizes"]
    common.check(len({r["wave_queries"] for r in rows}) == 1, "queries per wave do not grow with the waitlist",
                 failures)
    for kind in ("YES", "NO", "unknown text", "HELP"):
        common.check(len({r["webhook_queries"][kind] for r in rows}) == 1,
                     f"queries per {kind} webhook do not grow with the waitlist", failures)
    largest = rows[-1]
    met = largest["pick_common_median_ms"] <= args.target_ms
    print(f"target: pick_wave median <= {args.target_ms} ms at {largest['entries']:,} entries: "
          f"{'met' if met else 'MISSED'} ({largest['pick_common_median_ms']} ms)")
    if args.strict:
        common.check(met, "time target met", failures)
    results["load_average_end"] = common.load_average()
    print(f"load average at the end: {results['load_average_end']}")
    common.write_json(args.json, results)
    if failures:
        print(f"\n{len(failures)} invariant(s) broken", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated waitlist sizes, ascending")
    parser.add_argument("--repeat", type=int, default=30, help="timed pick_wave calls per slot")
    parser.add_argument("--target-ms", type=float, default=20.0)
    parser.add_argument("--strict", action="store_true", help="a missed time target fails the run")
    parser.add_argument("--show-plans", action="store_true", help="print each EXPLAIN plan")
    parser.add_argument("--json", type=Path, help="also write the figures (and plans) to this file")
    args = parser.parse_args()
    common.exit_cleanly_on_sigterm()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
